// Each scheme's sender, written from the sender's documentation with node:crypto alone and none of the library,
// so that the specs check the library against the schemes rather than against itself.
import { createHmac } from 'node:crypto';
import type { SignatureScheme } from '../scheme-names.js';

export interface Sender {
  readonly scheme: SignatureScheme;
  /** Whether the scheme signs a time (and so has a clock tolerance). */
  readonly timestamped: boolean;
  /** The header that carries the signature, as the sender documents it. */
  readonly signatureHeader: string;
  /** The request headers, by lower-case name, the sender sends for `body` signed with `secret` at `at`. */
  send(secret: string, body: Uint8Array, at: Date): Record<string, string>;
}

const hmac = (key: string | Buffer, ...parts: (string | Uint8Array)[]) => {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};
const seconds = (at: Date) => String(Math.floor(at.getTime() / 1000));

export const senders: readonly Sender[] = [
  {
    scheme: 'github',
    timestamped: false,
    signatureHeader: 'X-Hub-Signature-256',
    send: (secret, body) => ({ 'x-hub-signature-256': `sha256=${hmac(secret, body).toString('hex')}` }),
  },
  {
    scheme: 'zendesk',
    timestamped: true,
    signatureHeader: 'X-Zendesk-Webhook-Signature',
    send: (secret, body, at) => {
      const timestamp = at.toISOString().replace(/\.\d+Z$/, 'Z');
      return {
        'x-zendesk-webhook-signature': hmac(secret, timestamp, body).toString('base64'),
        'x-zendesk-webhook-signature-timestamp': timestamp,
      };
    },
  },
  {
    scheme: 'slack',
    timestamped: true,
    signatureHeader: 'X-Slack-Signature',
    send: (secret, body, at) => ({
      'x-slack-signature': `v0=${hmac(secret, `v0:${seconds(at)}:`, body).toString('hex')}`,
      'x-slack-request-timestamp': seconds(at),
    }),
  },
  {
    scheme: 'stripe',
    timestamped: true,
    signatureHeader: 'Stripe-Signature',
    send: (secret, body, at) => ({
      'stripe-signature': `t=${seconds(at)},v1=${hmac(secret, `${seconds(at)}.`, body).toString('hex')}`,
    }),
  },
  {
    scheme: 'standard-webhooks',
    timestamped: true,
    signatureHeader: 'webhook-signature',
    send: (secret, body, at) => {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
      return {
        'webhook-id': id,
        'webhook-timestamp': seconds(at),
        'webhook-signature': `v1,${hmac(key, `${id}.${seconds(at)}.`, body).toString('base64')}`,
      };
    },
  },
];

/** A header lookup over a plain record, as the router's metadata lookup behaves. */
export function headerLookup(headers: Record<string, string>): (name: string) => string | undefined {
  return (name) => headers[name];
}
