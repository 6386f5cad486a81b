// The benchmark's own servers (the baseline's upstream and the book) each run in a process of their own, started
// from the benchmark's script with `--serve=<name>`, so that neither shares the load generator's event loop.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProcess, untilReady, waitUntil, type ManagedProcess } from '@bdk/testing';
import { createBaselineServer } from './baseline-server.js';
import { createBookEndpoint } from './book-endpoint.js';

const servers: Record<string, () => http.Server> = {
  'baseline-server': createBaselineServer,
  'book-endpoint': createBookEndpoint,
};
export type HelperName = 'baseline-server' | 'book-endpoint';

const serveFlag = '--serve=';
const listeningLine = /^listening on 127\.0\.0\.1:(\d+)$/m;

/** The helper this process was started as, if it was started as one. */
export function helperToServe(args: readonly string[]): HelperName | undefined {
  const arg = args.find((each) => each.startsWith(serveFlag));
  if (arg === undefined) return undefined;
  const name = arg.slice(serveFlag.length);
  if (!(name in servers)) throw new Error(`no helper named "${name}"`);
  return name as HelperName;
}

/** In the helper's process: listens on a free loopback port, says which, and stops on SIGTERM or SIGINT. */
export function serveHelper(name: HelperName): void {
  const server = servers[name]?.() as http.Server;
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${(server.address() as AddressInfo).port}`));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export interface RunningHelper {
  readonly port: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** Starts a helper process from this same script and resolves with its port. */
export async function startHelper(name: HelperName): Promise<RunningHelper> {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which script is running, to start a helper from it');
  const proc = startProcess(name, process.execPath, [script, `${serveFlag}${name}`]);
  try {
    const port = await untilReady(proc, waitUntil(`${name} to listen`, () => Number(listeningLine.exec(proc.output())?.[1] ?? 0) || undefined));
    return { port, process: proc, stop: () => proc.stop() };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}
