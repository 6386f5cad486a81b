// The built book-controller bundle as its own process: starts, reports SERVING over gRPC health and ready over HTTP,
// exports metrics, logs JSON, and exits cleanly on SIGTERM.
import { afterEach, describe, expect, it } from '@jest/globals';
import { startApp, type RunningApp } from '@bdk/testing';

let app: RunningApp | undefined;

afterEach(async () => {
  await app?.stop();
});

describe('book-controller main', () => {
  it('serves gRPC health, readiness and metrics, and stops gracefully on SIGTERM', async () => {
    app = await startApp('book-controller');
    expect((await fetch(`http://127.0.0.1:${app.adminPort}/readyz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${app.adminPort}/metrics`)).text()).toContain('service="book-controller"');
    expect(await app.stop()).toBe(0);
    const lines = app.process.output().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ component: 'book-controller', msg: 'gRPC server listening', port: app.grpcPort }),
        expect.objectContaining({ component: 'book-controller', msg: 'shutting down', signal: 'SIGTERM' }),
      ]),
    );
  });
});
