// bdk.v1.BookLibraryService: books (books/) and instances (instances/), every call scoped by tenancy/.
import type { ServiceImpl } from '@connectrpc/connect';
import type { BookLibraryService } from '@bdk/proto';
import { bookHandlers } from './books/books.js';
import { instanceHandlers } from './instances/instances.js';
import { instanceUpdateHandlers } from './instances/instance-updates.js';
import type { LibraryDeps } from './library-deps.js';

export type { LibraryDeps } from './library-deps.js';

export function createLibraryService(deps: LibraryDeps): ServiceImpl<typeof BookLibraryService> {
  return { ...bookHandlers(deps), ...instanceHandlers(deps), ...instanceUpdateHandlers(deps) };
}
