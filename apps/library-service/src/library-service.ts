// bdk.v1.BookLibraryService: books (books/) and instances (instances/), every call scoped by tenancy/. A book
// version's lifecycle (books/book-lifecycle.ts) is checked before CreateBookInstance runs: it is the book's rule,
// kept with the book.
import type { ServiceImpl } from '@connectrpc/connect';
import type { BookLibraryService } from '@bdk/proto';
import { checkingBookLifecycle } from './books/book-lifecycle.js';
import { bookHandlers } from './books/books.js';
import { instanceHandlers } from './instances/instances.js';
import { instanceUpdateHandlers } from './instances/instance-updates.js';
import type { LibraryDeps } from './library-deps.js';

export type { LibraryDeps } from './library-deps.js';

export function createLibraryService(deps: LibraryDeps): ServiceImpl<typeof BookLibraryService> {
  const instances = instanceHandlers(deps);
  return {
    ...bookHandlers(deps),
    ...instances,
    ...instanceUpdateHandlers(deps),
    createBookInstance: checkingBookLifecycle(deps, instances.createBookInstance),
  };
}
