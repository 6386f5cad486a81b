// `bdk books`: the shared catalogue (GET, POST, DELETE /api/v1/books).
import type { Command } from 'commander';
import { createBookRequest } from '../book-request.js';
import type { JsonObject } from '../gateway-client.js';
import { formatOutput, renderTable } from '../output.js';
import { contextOf } from '../program.js';
import { readResourceFile } from '../resource-file.js';
import { bookColumns, createdBookColumns } from '../tables.js';
import { pageOptions, printNextPage, type PageOptions } from './paging.js';

export function registerBooksCommands(program: Command): void {
  const books = program.command('books').description('publish, list, show and delete books (publishing needs a platform admin token)');

  books
    .command('create')
    .description('publish the books of a YAML or JSON file: BookDefinition resources (charts/bdk/examples) or REST request bodies')
    .requiredOption('-f, --file <file>', 'the file, "-" for stdin')
    .action(async (options: { file: string }, command: Command) => {
      const context = contextOf(command);
      const documents = await readResourceFile(options.file, context.environment.readStdin);
      const requests = documents.map(createBookRequest);
      const client = await context.client();
      const created: JsonObject[] = [];
      for (const request of requests) created.push(await client.request('POST', '/api/v1/books', { json: request }));
      context.print(formatOutput(context.output, created.length === 1 ? created[0] : created, () => renderTable(createdBookColumns, created)));
    });

  pageOptions(books.command('list').description('list the books of the catalogue').option('--name <name>', 'only books of this name')).action(
    async (options: PageOptions & { name?: string }, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      const answer = await client.request('GET', '/api/v1/books', { query: { name: options.name, page_size: options.limit, page_token: options.pageToken } });
      const rows = (answer['books'] as JsonObject[] | undefined) ?? [];
      context.print(formatOutput(context.output, answer, () => renderTable(bookColumns, rows)));
      printNextPage(context, answer);
    },
  );

  books
    .command('get')
    .description('show one book')
    .argument('<book_id>')
    .action(async (bookId: string, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      const answer = await client.request('GET', `/api/v1/books/${encodeURIComponent(bookId)}`);
      const book = (answer['book'] as JsonObject | undefined) ?? {};
      context.print(formatOutput(context.output, book, () => renderTable(bookColumns, [book])));
    });

  books
    .command('delete')
    .description('delete books (refused while instances of them exist)')
    .argument('<book_id...>')
    .action(async (bookIds: string[], _options: unknown, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      for (const bookId of bookIds) {
        await client.request('DELETE', `/api/v1/books/${encodeURIComponent(bookId)}`);
        context.print(`book ${bookId} deleted\n`);
      }
    });
}
