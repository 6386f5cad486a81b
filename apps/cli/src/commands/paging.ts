// The paging options of list commands (page_size, page_token) and the hint for the next page.
import type { Command } from 'commander';
import type { JsonObject } from '../gateway-client.js';
import { parsePositiveInteger } from '../numbers.js';
import type { CommandContext } from '../program.js';

export interface PageOptions {
  limit?: number;
  pageToken?: string;
}

export function pageOptions(command: Command): Command {
  return command
    .option('--limit <n>', 'at most this many (the server caps it)', parsePositiveInteger)
    .option('--page-token <token>', 'the next page, as the previous list printed');
}

/** In table output, says on stderr how to get the next page; JSON and YAML carry next_page_token themselves. */
export function printNextPage(context: CommandContext, answer: JsonObject): void {
  const next = answer['next_page_token'];
  if (context.output === 'table' && typeof next === 'string' && next) context.note(`more: --page-token ${next}`);
}
