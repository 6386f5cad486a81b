import { describe, expect, it } from '@jest/globals';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { shareConnections } from './shared-connections.js';

function kubeConfig(user: { token?: string; certData?: string; keyData?: string }): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from('ca').toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return config;
}

async function authenticate(config: KubeConfig): Promise<RequestContext> {
  const context = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces', HttpMethod.GET);
  await config.applySecurityAuthentication(context);
  return context;
}

describe('shareConnections', () => {
  it('gives client-node a new dispatcher (connection pool) for every request on its own', async () => {
    const config = kubeConfig({ token: 't' });
    expect((await authenticate(config)).getDispatcher()).not.toBe((await authenticate(config)).getDispatcher());
  });

  it('hands every request the same dispatcher, with the same headers client-node sets', async () => {
    const config = shareConnections(kubeConfig({ token: 'the-token' }));
    const first = await authenticate(config);
    const second = await authenticate(config);
    expect(first.getDispatcher()).toBeDefined();
    expect(second.getDispatcher()).toBe(first.getDispatcher());
    expect(first.getHeaders()['Authorization']).toBe('Bearer the-token');
    expect(second.getHeaders()['Authorization']).toBe('Bearer the-token');
  });

  it('gives requests that start together one dispatcher, which stays open', async () => {
    const config = shareConnections(kubeConfig({ token: 't' }));
    const contexts = await Promise.all(Array.from({ length: 8 }, () => authenticate(config)));
    const dispatcher = contexts[0]?.getDispatcher();
    for (const context of contexts) expect(context.getDispatcher()).toBe(dispatcher);
    expect((dispatcher as unknown as { closed: boolean }).closed).toBe(false);
  });

  it('is idempotent: a second call wraps nothing more', async () => {
    const config = kubeConfig({ token: 't' });
    shareConnections(config);
    const method = config.applySecurityAuthentication;
    expect(shareConnections(config)).toBe(config);
    expect(config.applySecurityAuthentication).toBe(method);
  });

  it('makes a new dispatcher when the TLS credentials change, and follows a new token at once', async () => {
    const config = shareConnections(kubeConfig({ token: 'a', certData: Buffer.from('cert-1').toString('base64'), keyData: Buffer.from('key').toString('base64') }));
    const before = await authenticate(config);
    config.loadFromOptions({
      clusters: config.getClusters(),
      users: [{ name: 'u', token: 'b', certData: Buffer.from('cert-2').toString('base64'), keyData: Buffer.from('key').toString('base64') }],
      contexts: config.getContexts(),
      currentContext: 'ctx',
    });
    const after = await authenticate(config);
    expect(after.getDispatcher()).not.toBe(before.getDispatcher());
    expect(after.getHeaders()['Authorization']).toBe('Bearer b');
    expect((await authenticate(config)).getDispatcher()).toBe(after.getDispatcher());
  });
});
