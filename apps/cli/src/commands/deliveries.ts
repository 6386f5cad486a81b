// `bdk deliveries`: your organisation's recorded webhook deliveries (/api/v1/webhooks/deliveries).
import type { Command } from 'commander';
import type { JsonObject } from '../gateway-client.js';
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
    .description('send a dead-lettered delivery again (its dead-lettered targets), or a delivered one to every target')
    .argument('<webhook_id>')
    .action(async (webhookId: string, _options: unknown, command: Command) => {
      const context = contextOf(command);
      const client = await context.client();
      const answer = await client.request('POST', `${deliveriesPath}/${encodeURIComponent(webhookId)}:replay`, { json: {} });
      const delivery = (answer['delivery'] as JsonObject | undefined) ?? {};
      context.print(formatOutput(context.output, delivery, () => deliveryTable(delivery)));
    });
}
