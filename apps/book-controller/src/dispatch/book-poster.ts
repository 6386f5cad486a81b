// POSTs a trigger to a book over node:http(s) with keep-alive agents: the connection to a book is reused across
// triggers, and a trigger costs about half the CPU of a fetch (no WHATWG streams, no AbortSignal per call). Redirects
// are not followed: a book answers for itself.
import http from 'node:http';
import https from 'node:https';

export interface BookAnswer {
  status: number;
  /** The Retry-After header, when the book sent one. */
  retryAfter: string | null;
}

/** Why a trigger got no answer: the time ran out, or the connection failed (the error's code when it has one). */
export class BookUnreachable extends Error {
  override name = 'BookUnreachable';
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export interface BookPoster {
  post(url: URL, headers: Record<string, string>, body: Uint8Array, options: { timeoutMs: number; signal?: AbortSignal }): Promise<BookAnswer>;
  /** Closes idle connections (on shutdown). */
  close(): void;
}

export function createBookPoster(options: { maxSocketsPerBook?: number } = {}): BookPoster {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerBook ?? 64, scheduling: 'lifo' as const };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  return {
    post(url, headers, body, { timeoutMs, signal }) {
      const agent = url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : undefined;
      if (!agent) return Promise.reject(new BookUnreachable(`unsupported protocol ${url.protocol}`, false));
      const transport = url.protocol === 'https:' ? https : http;
      return new Promise<BookAnswer>((resolve, reject) => {
        let settled = false;
        const finish = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          outcome();
        };
        const request = transport.request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.byteLength) } }, (response) => {
          // The answer's body is the book's business; reading it to the end frees the connection for the next trigger.
          response.resume();
          response.on('end', () => finish(() => resolve({ status: response.statusCode ?? 0, retryAfter: headerValue(response.headers['retry-after']) })));
          response.on('error', (error) => finish(() => reject(unreachable(error))));
        });
        const timer = setTimeout(() => {
          finish(() => reject(new BookUnreachable(`no answer within ${timeoutMs} ms`, true)));
          request.destroy();
        }, timeoutMs);
        const onAbort = () => {
          finish(() => reject(new BookUnreachable('the call was cancelled', false)));
          request.destroy();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        request.on('error', (error) => finish(() => reject(unreachable(error))));
        request.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** ECONNREFUSED, ENOTFOUND and the like, with their code. */
function unreachable(error: Error): BookUnreachable {
  const code = 'code' in error && typeof error.code === 'string' ? `${error.code}: ` : '';
  return new BookUnreachable(`${code}${error.message}`, false);
}
