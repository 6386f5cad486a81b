// client-node 2.0 gives every request of a typed API client a dispatcher of its own (a new undici Agent in
// KubeConfig.applySecurityAuthentication), so every call opens a new TCP connection and a full TLS handshake with
// the client certificate, and leaves that connection open until it idles out. At a controller's rate that is most
// of its CPU (about 6 ms per call against 2 ms on a kept connection) and, with the idle connections, hundreds of MB
// of RSS. Here the dispatcher is made once per set of TLS credentials and reused by every later request, so calls
// share kept-alive connections; credentials that change (a rotated client certificate or CA) get a new one.
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type https from 'node:https';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const shared = new WeakSet<KubeConfig>();

/** What the TLS connection is made with: a dispatcher serves every request whose options give the same key. */
function tlsKey(options: https.RequestOptions): string {
  const hash = createHash('sha256');
  for (const value of [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.servername, options.rejectUnauthorized]) {
    hash.update(value === undefined ? '-' : Buffer.isBuffer(value) ? value : JSON.stringify(value));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Makes every API client made from `kubeConfig` (before or after this call: client-node looks the method up on the
 * KubeConfig at each request) reuse its connections. In place and idempotent; returns `kubeConfig`. A cluster
 * reached through a proxy keeps client-node's own behaviour.
 */
export function shareConnections(kubeConfig: KubeConfig): KubeConfig {
  if (shared.has(kubeConfig)) return kubeConfig;
  shared.add(kubeConfig);
  const perRequest = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  // No dispatcher: client-node has none to make (no TLS options), and the request goes through fetch's own.
  let current: { key: string; dispatcher: Dispatcher | undefined } | undefined;
  kubeConfig.applySecurityAuthentication = async (context: RequestContext) => {
    if (kubeConfig.getCurrentCluster()?.proxyUrl) return perRequest(context);
    // The same steps client-node takes (authenticators, exec plugins, token files; then CA and client certificate).
    const options: https.RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(options);
    const key = tlsKey(options);
    if (current?.key !== key) {
      // Once per set of credentials: client-node's own path sets the headers and makes the dispatcher kept here.
      await perRequest(context);
      if (current?.key === key) {
        // Requests that started together each made one; the first kept serves them all.
        if (current.dispatcher) context.setDispatcher(current.dispatcher);
        return;
      }
      const previous = current?.dispatcher;
      current = { key, dispatcher: context.getDispatcher() };
      // Closed once the requests that were handed it (some perhaps not sent yet) are long done.
      if (previous) setTimeout(() => void previous.close().catch(() => undefined), 60_000).unref();
      return;
    }
    if (typeof options.auth === 'string') context.setHeaderParam('Authorization', `Basic ${Buffer.from(options.auth).toString('base64')}`);
    for (const [name, value] of Object.entries(options.headers ?? {})) context.setHeaderParam(name, String(value));
    if (current.dispatcher) context.setDispatcher(current.dispatcher);
  };
  return kubeConfig;
}
