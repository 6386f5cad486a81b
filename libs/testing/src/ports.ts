import net from 'node:net';

// Ports this process handed out: the OS may give a port that was just released to the next bind(0), so two calls
// in a row could otherwise return the same one (etcd's client and peer ports, say).
const handedOut = new Set<number>();

function askTheOs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it), never one this process gave out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await askTheOs();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port the OS offered was new to this process');
}

/**
 * Runs `start` (which picks its ports with freePort) again, up to `attempts` times, when it failed because a port
 * was taken between freePort and the bind: another process (a test running in parallel) got there first.
 */
export async function withFreshPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      const clash = error instanceof Error && /address already in use/i.test(error.message);
      if (!clash || attempt >= attempts) throw error;
    }
  }
}
