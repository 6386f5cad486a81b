// Each app chart's own settings reach its container as the env variables the app reads (the shared conventions of
// issue 3), and the webhook-router finds the book-controller of its release by default.
import type { V1Container, V1Deployment, V1Service } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { assertGenerated, render, type AppChart, type RenderOptions } from './helm.js';

beforeAll(() => assertGenerated());

async function appContainer(chart: AppChart, options: RenderOptions = {}): Promise<V1Container> {
  const deployment = (await render(chart, options)).one<V1Deployment>('Deployment');
  const found = deployment.spec?.template.spec?.containers.find((c) => c.name === chart);
  if (!found) throw new Error(`no ${chart} container`);
  return found;
}

async function appEnv(chart: AppChart, options: RenderOptions = {}): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(((await appContainer(chart, options)).env ?? []).map((e) => [e.name, e.value]));
}

describe('library-service', () => {
  it('leaves BDK_MODEL_MANAGER_URL unset by default, and sets it from modelManager.url', async () => {
    expect(await appEnv('library-service')).not.toHaveProperty('BDK_MODEL_MANAGER_URL');
    const env = await appEnv('library-service', { set: { 'modelManager.url': 'http://model-manager.models:9090' } });
    expect(env['BDK_MODEL_MANAGER_URL']).toBe('http://model-manager.models:9090');
  });

  it('refuses a Model Manager URL that is not http(s)', async () => {
    await expect(render('library-service', { set: { 'modelManager.url': 'model-manager:9090' } })).rejects.toThrow(/modelManager\/url/);
  });
});

describe('book-controller', () => {
  it('defaults the book image, port and URL templates to the shared conventions', async () => {
    expect(await appEnv('book-controller')).toMatchObject({
      BDK_BOOK_IMAGE_TEMPLATE: 'ghcr.io/bdk-books/{name}:{version}',
      BDK_BOOK_PORT: '8080',
      BDK_BOOK_URL_TEMPLATE: 'http://{service}.{namespace}.svc:{port}',
      BDK_CONTROLLER_WORKERS: '2',
      BDK_DISPATCH_TIMEOUT_MS: '10000',
    });
  });

  it('takes them from books.*, workers and dispatchTimeoutMs', async () => {
    const env = await appEnv('book-controller', { valuesFiles: ['ci/production-values.yaml'] });
    expect(env).toMatchObject({
      BDK_BOOK_IMAGE_TEMPLATE: 'registry.example.com/books/{name}:{version}',
      BDK_BOOK_PORT: '9000',
      BDK_BOOK_URL_TEMPLATE: 'http://{service}.{namespace}.svc.cluster.local:{port}',
      BDK_CONTROLLER_WORKERS: '4',
      BDK_DISPATCH_TIMEOUT_MS: '5000',
    });
  });
});

describe('webhook-router', () => {
  it('dispatches to the book-controller of its own release by default', async () => {
    for (const release of ['bdk', 'staging', 'team-book-controller', 'x'.repeat(53)]) {
      const controller = (await render('book-controller', { release })).one<V1Service>('Service');
      const grpc = controller.spec?.ports?.find((p) => p.name === 'grpc')?.port;
      expect((await appEnv('webhook-router', { release }))['BDK_CONTROLLER_URL']).toBe(`http://${controller.metadata.name}:${grpc}`);
    }
  });

  it('waits 10 s for the controller by default, at most 25 s (below the sidecar route timeout)', async () => {
    expect((await appEnv('webhook-router'))['BDK_CONTROLLER_TIMEOUT_MS']).toBe('10000');
    await expect(render('webhook-router', { set: { controllerTimeoutMs: 30000 } })).rejects.toThrow(/controllerTimeoutMs/);
  });

  it('refuses a signing secret as a plain extraEnv value', async () => {
    await expect(render('webhook-router', { set: { extraEnv: [{ name: 'BDK_WEBHOOK_SECRET_ZENDESK', value: 'x' }] } })).rejects.toThrow(/extraEnv\/0\/name/);
  });

  it('takes controllerUrl over the default', async () => {
    const env = await appEnv('webhook-router', { set: { controllerUrl: 'http://controller.elsewhere.svc:9090' } });
    expect(env['BDK_CONTROLLER_URL']).toBe('http://controller.elsewhere.svc:9090');
  });

  it('has no signing secrets or unsigned sources by default', async () => {
    const app = await appContainer('webhook-router');
    expect(app.envFrom).toBeUndefined();
    expect(app.env?.map((e) => e.name)).not.toContain('BDK_WEBHOOK_UNSIGNED_SOURCES');
  });

  it('imports the signing secrets with envFrom and lists the unsigned sources comma-separated', async () => {
    const app = await appContainer('webhook-router', { valuesFiles: ['ci/signed-sources-values.yaml'] });
    expect(app.envFrom).toEqual([{ secretRef: { name: 'bdk-webhook-secrets', optional: false } }]);
    expect(app.env?.find((e) => e.name === 'BDK_WEBHOOK_UNSIGNED_SOURCES')?.value).toBe('internal-cron,smoke-test');
    // No secret value ever sits in the chart's output: the Secret is referenced, never rendered.
    expect(app.env?.some((e) => e.name.startsWith('BDK_WEBHOOK_SECRET_'))).toBe(false);
  });

  it('refuses an unsigned source that would break the comma-separated list', async () => {
    await expect(render('webhook-router', { set: { unsignedSources: ['a,b'] } })).rejects.toThrow(/unsignedSources\/0/);
  });
});
