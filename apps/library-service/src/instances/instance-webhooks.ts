// An instance's webhooks: one per webhook integration of its book, each with the instance's own signing secret in
// the sender's scheme, and the instance-addressed URL the sender is configured with.
import type { BookDefinition } from '@bdk/k8s';
import { defaultSchemeFor, generateSigningSecret, type SignatureScheme } from '@bdk/webhooks';

export interface BookWebhook {
  source: string;
  scheme: SignatureScheme;
}

/** The book's webhook integrations as (source, scheme): the source is config.source or the integration's name. */
export function bookWebhooks(book: BookDefinition): BookWebhook[] {
  return (book.spec.integrations ?? [])
    .filter((integration) => integration.type === 'webhook')
    .map((integration) => {
      const source = (integration.config?.source || integration.name).toLowerCase();
      return { source, scheme: integration.config?.scheme ?? defaultSchemeFor(source) };
    });
}

/** Where a sender posts one instance's webhooks: `<public base>/api/v1/webhooks/<source>/instances/<instance id>`. */
export function instanceWebhookUrl(publicUrl: string, source: string, instanceId: string): string {
  return `${publicUrl}/api/v1/webhooks/${encodeURIComponent(source)}/instances/${encodeURIComponent(instanceId)}`;
}

/** A fresh signing secret for each of the book's webhooks. */
export function newSigningSecrets(book: BookDefinition): (BookWebhook & { secret: string })[] {
  return bookWebhooks(book).map((webhook) => ({ ...webhook, secret: generateSigningSecret() }));
}

