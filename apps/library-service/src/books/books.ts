// CreateBook, GetBook, ListBooks and DeleteBook: BookDefinition custom resources in BDK's namespace, found by
// the book-id label that carries the UUID the API hands out. BookDefinitions applied without the API (kubectl, a
// GitOps tool) are books too: their id is their metadata.uid, which adoption/ writes into the same label.
import { randomUUID } from 'node:crypto';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { principalOf } from '@bdk/auth';
import type { BookLibraryService } from '@bdk/proto';
import {
  bdkLabels,
  bookDefinitionName,
  bookDefinitionResource,
  bookIdOf,
  bookInUseFinalizer,
  holdersOf,
  isConflict,
  labelSelector,
  managedByBdk,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { describeHoldersTo } from './book-in-use.js';
import { bookFromDefinition, bookSpecFromRequest } from './book-mapping.js';
import { kubeFailure } from '../kube-errors.js';
import { answerCreated, kube, type LibraryDeps } from '../library-deps.js';
import { listPage } from '../paging.js';
import { validateCreateBook, validateId, validateListBooks } from '../validation.js';

type BookHandlers = Pick<ServiceImpl<typeof BookLibraryService>, 'createBook' | 'getBook' | 'listBooks' | 'deleteBook'>;

/**
 * The BookDefinition whose id is `bookId`; NOT_FOUND when there is none. One label-selected list finds every book
 * the API made and every one adoption/ labelled. Only a book applied without the API in the moment before it is
 * labelled is not in that list: it is then read from adoption's cache by uid, with no second call.
 */
export async function findBook(deps: LibraryDeps, bookId: string): Promise<BookDefinition> {
  const { items } = await kube(deps, `find book ${bookId}`, () =>
    deps.resources.books.list(deps.namespace, { labelSelector: labelSelector({ [bdkLabels.bookId]: bookId }) }),
  );
  const book = items[0] ?? deps.unlabelledBooks?.unlabelledBook(bookId);
  if (!book) throw new ConnectError(`book ${bookId} not found`, Code.NotFound);
  return book;
}

export function bookHandlers(deps: LibraryDeps): BookHandlers {
  const log = deps.logger;
  return {
    async createBook(request, context) {
      validateCreateBook(request);
      // Before anything is written: without its prompts the book is not created at all.
      const prompts = await deps.prompts(request.name, request.version);
      const bookId = randomUUID();
      const name = bookDefinitionName(request.name, request.version);
      const body: BookDefinition = {
        apiVersion: bookDefinitionResource.apiVersion,
        kind: bookDefinitionResource.kind,
        metadata: {
          name,
          namespace: deps.namespace,
          labels: { [bdkLabels.bookId]: bookId, [bdkLabels.bookName]: request.name, [bdkLabels.managedBy]: managedByBdk },
          // Held from the start: deleted, it stays until no instance runs it (the book controller releases it).
          finalizers: [bookInUseFinalizer],
        },
        spec: bookSpecFromRequest(request, prompts),
      };
      let created: BookDefinition;
      try {
        created = await deps.resources.books.create(deps.namespace, body);
      } catch (error) {
        if (isConflict(error)) throw await alreadyExists(deps, request.name, request.version, name);
        throw kubeFailure(error, `create BookDefinition ${name}`, log);
      }
      const book = bookFromDefinition(created);
      log.info('created book', { bookId, name: request.name, version: request.version, object: `${deps.namespace}/${name}`, prompts: prompts.length });
      answerCreated(context);
      return { bookId, name: book.name, version: book.version, createdAt: book.createdAt };
    },

    async getBook(request) {
      validateId(request.bookId, 'book_id');
      return { book: bookFromDefinition(await findBook(deps, request.bookId)) };
    },

    async listBooks(request) {
      const limit = validateListBooks(request);
      // Every BookDefinition in BDK's namespace is a book, whoever applied it; the name is a label (adoption/ gives
      // it to books applied without the API).
      const selector = request.name ? labelSelector({ [bdkLabels.bookName]: request.name }) : '';
      const page = await listPage(deps, deps.resources.books, 'list BookDefinitions', { labelSelector: selector, limit, pageToken: request.pageToken });
      return { books: page.items.map(bookFromDefinition), nextPageToken: page.nextPageToken };
    },

    async deleteBook(request, context) {
      validateId(request.bookId, 'book_id');
      const book = await findBook(deps, request.bookId);
      const name = book.metadata.name ?? '';
      if (book.metadata.labels?.[bdkLabels.managedBy] !== managedByBdk) {
        // Deleting it here would not last: the tool that applied it applies it again, under a new uid and so a new id.
        throw new ConnectError(
          `book ${request.bookId} was applied without the API (BookDefinition ${deps.namespace}/${name}, with kubectl or a GitOps tool); delete it where it was applied`,
          Code.FailedPrecondition,
        );
      }
      const holders = await listHolders(deps, book);
      if (holders.length > 0) {
        throw new ConnectError(
          `book ${request.bookId} (${book.spec.name} ${book.spec.version}) still has instances: ${describeHoldersTo(principalOf(context).organizationId, holders)}; delete them first`,
          Code.FailedPrecondition,
        );
      }
      await kube(deps, `delete BookDefinition ${name}`, () => deps.resources.books.delete(deps.namespace, name));
      // An instance created in the meantime keeps it Terminating (the book controller's finalizer). Otherwise the
      // controller releases it at once, and the answer waits for that, so a read after it finds no book.
      const gone = (await listHolders(deps, book)).length === 0 && (await awaitRemoval(deps, book));
      log.info(gone ? 'deleted book' : 'book deletion accepted; an instance still holds it', {
        bookId: request.bookId,
        name: book.spec.name,
        version: book.spec.version,
        object: `${deps.namespace}/${name}`,
      });
      return {};
    },
  };
}

/** The instances that keep `book` from being deleted, read from the apiserver (a quorum read). */
async function listHolders(deps: LibraryDeps, book: BookDefinition): Promise<BookInstanceDefinition[]> {
  // The instances of the book's name: those that pin this version, and ranges that resolved to it.
  const { items } = await kube(deps, `list the instances of book ${book.spec.name}`, () =>
    deps.resources.instances.list(deps.namespace, { labelSelector: labelSelector({ [bdkLabels.bookName]: book.spec.name }) }),
  );
  return holdersOf(book, items);
}

/** How long DeleteBook waits for the book controller to release a book no instance holds. */
export const removalWaitMs = 10_000;
const removalPollMs = 100;

/** Whether the BookDefinition (this one, by uid) is gone within removalWaitMs. */
async function awaitRemoval(deps: LibraryDeps, book: BookDefinition): Promise<boolean> {
  const name = book.metadata.name ?? '';
  const deadline = Date.now() + removalWaitMs;
  for (;;) {
    const current = await kube(deps, `read BookDefinition ${name}`, () => deps.resources.books.find(deps.namespace, name));
    if (!current || current.metadata.uid !== book.metadata.uid) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, removalPollMs));
  }
}

/**
 * ALREADY_EXISTS for a create that collided on the object name. Names are derived (bookDefinitionName), and two
 * different name/version pairs can map to one object name (name "a-1" version 0.0.1 and name "a" version 1.0.0-1
 * are both "a-1-0-0-1", and long names are cut to 63 characters), so the message says which book holds it.
 */
async function alreadyExists(deps: LibraryDeps, name: string, version: string, objectName: string): Promise<ConnectError> {
  const existing = await kube(deps, `read BookDefinition ${objectName}`, () => deps.resources.books.find(deps.namespace, objectName));
  if (!existing || (existing.spec.name === name && existing.spec.version === version)) {
    const bookId = existing && bookIdOf(existing);
    return new ConnectError(`book ${name} version ${version} already exists${bookId ? ` (book_id ${bookId})` : ''}`, Code.AlreadyExists);
  }
  return new ConnectError(
    `book ${name} version ${version} would be stored as ${objectName}, which book ${existing.spec.name} version ${existing.spec.version} already uses; choose another name`,
    Code.AlreadyExists,
  );
}
