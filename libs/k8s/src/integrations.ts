// Which of a book's integrations receives a source's webhooks. The router routes by it and the controller
// delivers by it, so the rule lives once, here.
import type { BookDefinition } from './gen/crds.js';

export type BookIntegration = NonNullable<BookDefinition['spec']['integrations']>[number];

/**
 * The book's webhook integration for `source`: `type: webhook` and a config.source naming the source, or, with no
 * config.source, its own name doing so (the spec's `- name: zendesk, type: webhook`). Case-insensitive: source
 * names are DNS labels, and a book written `Zendesk` means the same sender.
 */
export function webhookIntegrationFor(book: BookDefinition, source: string): BookIntegration | undefined {
  const wanted = source.toLowerCase();
  return (book.spec.integrations ?? []).find((integration) => {
    if (integration.type !== 'webhook') return false;
    const declared = integration.config?.source || integration.name;
    return declared.toLowerCase() === wanted;
  });
}
