// bdk.v1.BookLibraryService: books and instances (handlers in books.ts and instances.ts).
import type { ServiceImpl } from '@connectrpc/connect';
import type { BookLibraryService } from '@bdk/proto';
import { bookHandlers } from './books.js';
import { instanceHandlers } from './instances.js';
import type { LibraryDeps } from './library-deps.js';

export type { LibraryDeps } from './library-deps.js';

export function createLibraryService(deps: LibraryDeps): ServiceImpl<typeof BookLibraryService> {
  return { ...bookHandlers(deps), ...instanceHandlers(deps) };
}
