// `bdk deliveries`: your organisation's recorded webhook deliveries (/api/v1/webhooks/deliveries).
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { JsonObject } from '../gateway-client.js';
import { parsePositiveInteger } from '../numbers.js';
import { formatOutput, renderTable } from '../output.js';
import { contextOf } from '../program.js';
import { deliveryAttemptColumns, deliveryColumns, deliveryTargetColumns } from '../tables.js';
import { pageOptions, printNextPage, type PageOptions } from './paging.js';

const deliveriesPath = '/api/v1/webhooks/deliveries';

/** A delivery, then its targets and attempts when it has them. */
function deliveryTable(delivery: JsonObject): string {
  const sections = [renderTable(deliveryColumns, [delivery])];
  const targets = (delivery['target_states'] as JsonObject[] | undefined) ?? [];
  if (targets.length > 0) sections.push(renderTable(deliveryTargetColumns, targets));
  const attempts = (delivery['attempt_log'] as JsonObject[] | undefined) ?? [];
  if (attempts.length > 0) sections.push(renderTable(deliveryAttemptColumns, attempts));
  return sections.join('\n');
}

export function registerDeliveriesCommands(program: Command): void {
  const deliveries = program.command('deliveries').description("your organisation's webhook deliveries: list, show, replay");

  pageOptions(
    deliveries
      .command('list')
      .description('list deliveries, newest first')
      .option('--source <source>', 'only from this source (zendesk, github, ...)')
      .option('--state <state>', 'only in this state: pending, delivered, failed, dead_lettered'),
  ).action(async (options: PageOptions & { source?: string; state?: string }, command: Command) => {
    const context = contextOf(command);
    const client = await context.client();
    const answer = await client.request('GET', deliveriesPath, {
      query: { source: options.source, state: options.state, page_size: options.limit, page_token: options.pageToken },
    });
    const rows = (answer['deliveries'] as JsonObject[] | undefined) ?? [];
    context.print(formatOutput(context.output, answer, () => renderTable(deliveryColumns, rows)));
    printNextPage(context, answer);
  });

  deliveries
    .command('get')
    .description('show one delivery: every target and every attempt')
    .argument('<webhook_id>')
    .action(async (webhookId: string, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      const answer = await client.request('GET', `${deliveriesPath}/${encodeURIComponent(webhookId)}`);
      const delivery = (answer['delivery'] as JsonObject | undefined) ?? {};
      context.print(formatOutput(context.output, delivery, () => deliveryTable(delivery)));
    });

  deliveries
    .command('replay')
    .description('send a dead-lettered delivery again (its dead-lettered targets), or a delivered one to every target; with --all, every matching one')
    .argument('[webhook_id]')
    .option('--all', 'replay every delivery that matches --state (default dead_lettered), --source and --limit')
    .option('--source <source>', 'with --all: only from this source')
    .option('--state <state>', 'with --all: dead_lettered (default) or delivered')
    .option('--limit <n>', 'with --all: at most this many (server default 100)', parsePositiveInteger)
    .action(async (webhookId: string | undefined, options: { all?: boolean; source?: string; state?: string; limit?: number }, command: Command) => {
      const context = contextOf(command);
      if (Boolean(webhookId) === Boolean(options.all)) throw new CliError('webhook_id: give one delivery, or --all for every matching one');
      const client = await context.client();
      if (webhookId) {
        const answer = await client.request('POST', `${deliveriesPath}/${encodeURIComponent(webhookId)}:replay`, { json: {} });
        const delivery = (answer['delivery'] as JsonObject | undefined) ?? {};
        context.print(formatOutput(context.output, delivery, () => deliveryTable(delivery)));
        return;
      }
      const json: JsonObject = {};
      if (options.source) json['source'] = options.source;
      if (options.state) json['state'] = options.state;
      if (options.limit) json['limit'] = options.limit;
      const answer = await client.request('POST', `${deliveriesPath}:replay`, { json });
      const ids = (answer['webhook_ids'] as string[] | undefined) ?? [];
      context.print(formatOutput(context.output, answer, () => renderTable([{ header: 'replayed webhook id', value: (id: string) => id }], ids)));
    });
}
