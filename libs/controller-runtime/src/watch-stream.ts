// One Kubernetes watch request, read line by line. client-node's informer (makeInformer/ListWatch) sends only
// resourceVersion, labelSelector and fieldSelector, so it cannot ask for bookmarks, and its Watch aborts any
// stream quiet for 30 s, shorter than the apiserver's bookmark interval (about a minute, the first one after up
// to two); this request carries allowWatchBookmarks and leaves judging silence to the caller.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  /** The object; for ERROR a metav1.Status (code 410: the resourceVersion is too old). */
  object: KubernetesObject & { code?: number; message?: string };
}

/** An HTTP status other than 200 from the apiserver, or an ERROR event's Status. */
export class WatchError extends Error {
  override name = 'WatchError';
  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
  }
}

export interface WatchRequest {
  kubeConfig: KubeConfig;
  /** The collection's path, e.g. /apis/apps/v1/deployments. */
  path: string;
  resourceVersion: string;
  labelSelector?: string;
  /** Called for every line the apiserver sends, bookmarks included. */
  onEvent: (event: WatchEvent) => void;
  /** Aborting ends the request; the returned promise then resolves. */
  signal: AbortSignal;
}

/**
 * Watches until the apiserver ends the stream or `signal` aborts (resolves), or the request fails (rejects; a
 * non-200 answer as a WatchError with its status).
 */
export async function watchStream(request: WatchRequest): Promise<void> {
  const cluster = request.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + request.path);
  url.searchParams.set('watch', 'true');
  url.searchParams.set('allowWatchBookmarks', 'true');
  url.searchParams.set('resourceVersion', request.resourceVersion);
  if (request.labelSelector) url.searchParams.set('labelSelector', request.labelSelector);
  // TLS, client certificates, bearer tokens and exec credentials, as for every other call of this kubeconfig.
  const options: https.RequestOptions = { method: 'GET', signal: request.signal };
  await request.kubeConfig.applyToHTTPSOptions(options);
  if (request.signal.aborted) return;
  const transport = url.protocol === 'http:' ? http : https;

  await new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => (error === undefined || request.signal.aborted ? resolve() : reject(error));
    const outgoing = transport.request(url, options, (response) => {
      if (response.statusCode !== 200) {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => settle(new WatchError(statusMessage(response.statusCode, Buffer.concat(chunks).toString('utf8')), response.statusCode)));
        response.on('error', settle);
        return;
      }
      const lines = createInterface({ input: response, crlfDelay: Infinity });
      lines.on('error', settle);
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        let event: WatchEvent;
        try {
          event = JSON.parse(line) as WatchEvent;
        } catch {
          outgoing.destroy();
          settle(new WatchError(`the watch sent a line that is not JSON: ${line.slice(0, 200)}`, undefined));
          return;
        }
        request.onEvent(event);
      });
      response.on('error', settle);
      // 'close' also follows an abort or a dropped connection: a stream that did not end cleanly is an error.
      response.on('close', () => settle(response.complete ? undefined : new Error('the watch connection closed before the stream ended')));
    });
    outgoing.on('error', settle);
    outgoing.end();
  });
}

function statusMessage(statusCode: number | undefined, body: string): string {
  try {
    const status = JSON.parse(body) as { message?: string };
    if (status.message) return `watch answered HTTP ${statusCode}: ${status.message}`;
  } catch {
    // not a Status: the raw body below
  }
  return `watch answered HTTP ${statusCode}: ${body.slice(0, 200)}`;
}
