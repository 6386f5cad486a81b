// `bdk webhook send`: posts a test webhook to an instance, signed with its signing secret as the sender's own
// scheme signs (@bdk/webhooks), so it is verified and routed like the real sender's.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { defaultSchemeFor, isSignatureScheme, signPayload, signatureSchemes, type SignatureScheme } from '@bdk/webhooks';
import { CliError } from '../errors.js';
import { formatOutput, renderTable } from '../output.js';
import { contextOf } from '../program.js';
import { webhookResultColumns } from '../tables.js';

function parseScheme(value: string): SignatureScheme {
  if (isSignatureScheme(value)) return value;
  throw new InvalidArgumentError(`must be one of ${signatureSchemes.join(', ')}`);
}

export interface SendOptions {
  instance: string;
  source: string;
  file: string;
  secret: string;
  scheme?: SignatureScheme;
  event?: string;
  contentType: string;
  url?: string;
}

/** The instance-addressed webhook route of the gateway (what the instance's create answer gives as its URL). */
export function webhookUrl(server: string, source: string, instanceId: string): string {
  return `${server}/api/v1/webhooks/${encodeURIComponent(source)}/instances/${encodeURIComponent(instanceId)}`;
}

/** The headers of the test webhook: the spec's source and event headers and the scheme's signature. */
export function webhookHeaders(options: Pick<SendOptions, 'source' | 'secret' | 'scheme' | 'event' | 'contentType'>, payload: Uint8Array, timestamp?: Date): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': options.contentType, 'x-webhook-source': options.source };
  if (options.event) headers['x-webhook-event'] = options.event;
  let signature: Record<string, string>;
  try {
    signature = signPayload({ scheme: options.scheme ?? defaultSchemeFor(options.source), payload, secret: options.secret, timestamp });
  } catch (error) {
    // The library's message is about the secret's form, never its value.
    throw new CliError(`--secret: ${(error as Error).message}`);
  }
  return { ...headers, ...signature };
}

export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description('test webhooks');

  webhook
    .command('send')
    .description("send a payload file to an instance as a webhook, signed with the instance's signing secret in the source's scheme")
    .requiredOption('--instance <instance_id>', 'the receiving instance')
    .requiredOption('--source <source>', 'the sender: zendesk, github, slack, stripe, or another webhook integration name')
    .requiredOption('-f, --file <file>', 'the payload, sent byte for byte')
    .requiredOption('--secret <signing_secret>', "the instance's signing secret for this source (from its create answer)")
    .option('--scheme <scheme>', `signature scheme (default: the source's own, else standard-webhooks): ${signatureSchemes.join(', ')}`, parseScheme)
    .option('--event <event>', 'the X-Webhook-Event header, e.g. ticket.created')
    .option('--content-type <type>', 'the payload content type', 'application/json')
    .option('--url <url>', 'post here instead of the gateway route of --instance')
    .action(async (options: SendOptions, command: Command) => {
      const context = contextOf(command);
      let payload: Buffer;
      try {
        payload = await readFile(options.file);
      } catch (error) {
        throw new CliError(`--file ${options.file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
      }
      const client = await context.client();
      const url = options.url ?? webhookUrl(client.connection.server, options.source, options.instance);
      // Authenticated by its signature alone, as the real sender's is: no bearer token.
      const answer = await client.request('POST', url, { body: payload, headers: webhookHeaders(options, payload), authenticate: false });
      context.print(formatOutput(context.output, answer, () => renderTable(webhookResultColumns, [answer])));
    });
}
