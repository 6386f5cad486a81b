// `bdk instances`: an organisation's instances of a book (/api/v1/books/{book_id}/instances), and `wait`.
import { Option, type Command } from 'commander';
import { formatDuration, parseDuration } from '../duration.js';
import { CliError } from '../errors.js';
import type { GatewayClient, JsonObject } from '../gateway-client.js';
import { createInstanceRequest, parseCredentialValue, withCredentialValues, type InstanceRequest } from '../instance-request.js';
import { parseWaitTarget, waitExitCodes, waitForInstance, type InstanceState, type WaitTarget } from '../instance-wait.js';
import { formatOutput, renderTable } from '../output.js';
import { ExitCode, contextOf } from '../program.js';
import { readResourceFile, type ResourceDocument } from '../resource-file.js';
import { createdInstanceColumns, instanceColumns, instanceWebhookColumns } from '../tables.js';
import { pageOptions, printNextPage, type PageOptions } from './paging.js';

const bookOption = ['--book <book_id>', 'the book the instance is of'] as const;

function instancePath(bookId: string, instanceId?: string): string {
  const base = `/api/v1/books/${encodeURIComponent(bookId)}/instances`;
  return instanceId === undefined ? base : `${base}/${encodeURIComponent(instanceId)}`;
}

/** The book to create the instance of: --book, the body's book_id, or the one book the resource's bookRef names. */
async function bookIdFor(client: GatewayClient, request: InstanceRequest, document: ResourceDocument, flag?: string): Promise<string> {
  if (flag) return flag;
  if (request.bookId) return request.bookId;
  const ref = request.bookRef;
  if (!ref) throw new CliError(`${document.source}: book_id: required (or pass --book <book_id>)`);
  const answer = await client.request('GET', '/api/v1/books', { query: { name: ref.name, page_size: 500 } });
  const books = ((answer['books'] as JsonObject[] | undefined) ?? []).filter((book) => !ref.version || book['version'] === ref.version);
  const book = books[0];
  if (books.length !== 1 || !book)
    throw new CliError(
      `${document.source}: spec.bookRef: ${books.length === 0 ? 'no' : 'more than one'} book named "${ref.name}"${ref.version ? ` version ${ref.version}` : ''} ` +
        'in the catalogue (bookRef names a BookDefinition, which the API may know by another name); pass --book <book_id>',
    );
  return String(book['book_id']);
}

export function registerInstancesCommands(program: Command): void {
  const instances = program.command('instances').description("create, list, show, delete and wait for your organisation's book instances");

  instances
    .command('create')
    .description('create instances from a YAML or JSON file: BookInstanceDefinition resources (charts/bdk/examples) or REST request bodies')
    .requiredOption('-f, --file <file>', 'the file, "-" for stdin')
    .option(...bookOption)
    .option('--credential <name=value>', 'a credential value (repeatable); a resource file holds none', parseCredentialValue, {})
    .action(async (options: { file: string; book?: string; credential: Record<string, string> }, command: Command) => {
      const context = contextOf(command);
      const documents = await readResourceFile(options.file, context.environment.readStdin);
      const requests = documents.map((document) => ({ document, request: createInstanceRequest(document) }));
      const client = await context.client();
      const created: JsonObject[] = [];
      for (const { document, request } of requests) {
        const bookId = await bookIdFor(client, request, document, options.book);
        created.push(await client.request('POST', instancePath(bookId), { json: withCredentialValues(request.body, options.credential) }));
      }
      context.print(
        formatOutput(context.output, created.length === 1 ? created[0] : created, () => {
          const webhooks = created.flatMap((instance) => (instance['webhooks'] as JsonObject[] | undefined) ?? []);
          const table = renderTable(createdInstanceColumns, created);
          return webhooks.length === 0 ? table : `${table}\n${renderTable(instanceWebhookColumns, webhooks)}`;
        }),
      );
      if (context.output === 'table' && created.some((instance) => Array.isArray(instance['webhooks']) && instance['webhooks'].length > 0))
        context.note('The signing secrets are shown in this answer only: configure each sender with its URL and secret now.');
    });

  pageOptions(instances.command('list').description("list your organisation's instances of a book").requiredOption(...bookOption)).action(
    async (options: PageOptions & { book: string }, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      const answer = await client.request('GET', instancePath(options.book), { query: { page_size: options.limit, page_token: options.pageToken } });
      const rows = (answer['instances'] as JsonObject[] | undefined) ?? [];
      context.print(formatOutput(context.output, answer, () => renderTable(instanceColumns, rows)));
      printNextPage(context, answer);
    },
  );

  instances
    .command('get')
    .description('show one instance')
    .argument('<instance_id>')
    .requiredOption(...bookOption)
    .action(async (instanceId: string, options: { book: string }, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      const instance = await getInstance(client, options.book, instanceId);
      context.print(formatOutput(context.output, instance, () => renderTable(instanceColumns, [instance])));
    });

  instances
    .command('delete')
    .description('delete instances; the controller removes what it deployed')
    .argument('<instance_id...>')
    .requiredOption(...bookOption)
    .action(async (instanceIds: string[], options: { book: string }, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      for (const instanceId of instanceIds) {
        await client.request('DELETE', instancePath(options.book, instanceId));
        context.print(`instance ${instanceId} deleted\n`);
      }
    });

  instances
    .command('wait')
    .description('wait until an instance is Ready (or another phase or condition), printing each change; exit 0 when it is, 1 when it is Failed, 2 on timeout')
    .argument('<instance_id>')
    .requiredOption(...bookOption)
    .addOption(
      new Option('--for <phase|condition=type>', 'what to wait for: a phase (Ready, Suspended, ...) or condition=<type>').argParser(parseWaitTarget).default(parseWaitTarget('Ready'), 'Ready'),
    )
    .addOption(new Option('--timeout <duration>', 'how long to wait (30s, 5m, 1h)').argParser(parseDuration).default(parseDuration('5m'), '5m'))
    .addOption(new Option('--interval <duration>', 'time between polls').argParser(parseDuration).default(parseDuration('2s'), '2s'))
    .action(async (instanceId: string, options: { book: string; for: WaitTarget; timeout: number; interval: number }, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      // Progress goes to stdout for a person, to stderr when stdout carries the instance as JSON or YAML.
      const report = context.output === 'table' ? (line: string) => context.print(`${line}\n`) : context.note;
      let instance: JsonObject = {};
      const outcome = await waitForInstance({
        target: options.for,
        timeoutMs: options.timeout,
        intervalMs: options.interval,
        report,
        read: async () => {
          instance = await getInstance(client, options.book, instanceId);
          return instance as InstanceState;
        },
      });
      const wanted = `${options.for.kind === 'condition' ? 'condition ' : ''}${options.for.name}`;
      const summary = { met: `instance ${instanceId}: ${wanted}`, failed: `instance ${instanceId}: Failed`, timeout: `instance ${instanceId}: not ${wanted} after ${formatDuration(options.timeout)}` }[outcome];
      if (context.output === 'table') context.print(`${summary}\n`);
      else {
        context.note(summary);
        context.print(formatOutput(context.output, instance, () => ''));
      }
      if (waitExitCodes[outcome] !== 0) throw new ExitCode(waitExitCodes[outcome]);
    });
}

async function getInstance(client: GatewayClient, bookId: string, instanceId: string): Promise<JsonObject> {
  const answer = await client.request('GET', instancePath(bookId, instanceId));
  return (answer['instance'] as JsonObject | undefined) ?? {};
}
