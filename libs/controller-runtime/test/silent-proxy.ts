// A TCP proxy on loopback in front of the apiserver (TLS passes through untouched) whose open connections can be
// made to go silent: kept open, nothing forwarded either way, as when a NAT or load balancer drops a connection
// without a reset. Connections opened afterwards are forwarded as usual.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SilentProxy {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** Every connection open now stops forwarding, in both directions, and stays open. */
  silenceOpenConnections(): void;
  close(): Promise<void>;
}

export async function startSilentProxy(target: string): Promise<SilentProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const silent = new WeakSet<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: hostname, port: Number(port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    // The connection counts as silenced through its client side; both directions check it.
    client.on('data', (chunk: Buffer) => {
      if (!silent.has(client)) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!silent.has(client)) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (!silent.has(client)) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    silenceOpenConnections() {
      for (const socket of sockets) silent.add(socket);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
