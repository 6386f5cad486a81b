// Where on the book a webhook goes, and which of the sender's headers travel with it. Pure. (Which integration
// receives it: webhookIntegrationFor in @bdk/k8s, shared with the router.)
/**
 * The URL a trigger is POSTed to: the book's base URL plus the integration's endpoint path (default "/").
 * An endpoint written as an absolute URL contributes only its path and query: a book definition must not be
 * able to point the controller at another host.
 */
export function triggerUrl(baseUrl: string, endpoint: string | undefined): URL {
  const base = new URL(baseUrl);
  const target = new URL(endpoint && endpoint.trim() !== '' ? endpoint.trim() : '/', 'http://placeholder');
  const basePath = base.pathname.replace(/\/+$/, '');
  base.pathname = `${basePath}${target.pathname}`;
  base.search = target.search;
  return base;
}

// Sender headers never passed on: credentials and signatures are for BDK's edge, not for the book.
const secretHeader = /(authorization|cookie|signature|secret|token|api[-_]?key|password|hmac)/i;
// Sender headers worth passing on: what happened and which delivery it was.
const forwardedHeader = /^x-[a-z0-9-]*(event|source|delivery|hook-id|webhook-id|request-id|id)$/i;

/** Sender headers (lower-cased names) as X-BDK-* headers: x-webhook-event → X-BDK-Webhook-Event. */
export function forwardedHeaders(headers: Record<string, string>): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (secretHeader.test(lower) || !forwardedHeader.test(lower) || lower.startsWith('x-bdk-')) continue;
    const canonical = lower
      .slice(2)
      .split('-')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('-');
    forwarded[`X-BDK-${canonical}`] = value;
  }
  return forwarded;
}
