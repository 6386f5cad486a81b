// Service-account tokens against the real kube-apiserver: TokenRequest mints them, TokenReview tells whose they
// are and for which audience, and the reviewer's cache spares the apiserver without outliving a deleted account.
import { CoreV1Api, KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, generateKeyPair } from 'jose';
import { startKubeEnv, waitUntil, type KubeEnv } from '@bdk/testing';
import { createTokenReviewer, ensureServiceAccount, requestServiceAccountToken, serviceAccountUsername, type TokenReviewer } from '../src/index.js';

const namespace = 'bdk';
const audience = 'bdk-book-controller';
let env: KubeEnv;

/** A kubeconfig that counts the TokenReviews sent through it: client-node authenticates every request it sends. */
class CountingKubeConfig extends KubeConfig {
  tokenReviews = 0;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    if (context.getUrl().includes('/tokenreviews')) this.tokenReviews += 1;
    await super.applySecurityAuthentication(context);
  }
}

function countingKubeConfig(): CountingKubeConfig {
  const kubeConfig = new CountingKubeConfig();
  kubeConfig.loadFromFile(env.kubeconfigPath);
  return kubeConfig;
}

async function tokenFor(name: string, tokenAudience = audience): Promise<string> {
  await ensureServiceAccount(env.kubeConfig, namespace, name);
  return requestServiceAccountToken(env.kubeConfig, { namespace, name, audience: tokenAudience, expirationSeconds: 600 });
}

beforeAll(async () => {
  env = await startKubeEnv({ installCrds: false });
  await env.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('ensureServiceAccount', () => {
  it('creates the account once and leaves an existing one alone', async () => {
    await ensureServiceAccount(env.kubeConfig, namespace, 'library-service');
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const created = await core.readNamespacedServiceAccount({ namespace, name: 'library-service' });
    await ensureServiceAccount(env.kubeConfig, namespace, 'library-service');
    const again = await core.readNamespacedServiceAccount({ namespace, name: 'library-service' });
    expect(again.metadata?.uid).toBe(created.metadata?.uid);
    expect(again.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });
});

describe('createTokenReviewer', () => {
  let reviewer: TokenReviewer;

  beforeAll(() => {
    reviewer = createTokenReviewer(env.kubeConfig, { audience });
  });

  it("reviews a token for its audience to the caller's service account", async () => {
    const token = await tokenFor('webhook-router');
    expect(await reviewer.review(token)).toEqual({
      username: serviceAccountUsername(namespace, 'webhook-router'),
      namespace,
      name: 'webhook-router',
    });
  });

  it('refuses the same token to a reviewer for another audience', async () => {
    const token = await tokenFor('webhook-router');
    const other = createTokenReviewer(env.kubeConfig, { audience: 'bdk-library-service' });
    expect(await other.review(token)).toBeUndefined();
  });

  it("refuses a token the account was given for another audience, and one for the apiserver's own", async () => {
    expect(await reviewer.review(await tokenFor('webhook-router', 'bdk-library-service'))).toBeUndefined();
    expect(await reviewer.review(await tokenFor('webhook-router', 'https://kubernetes.default.svc'))).toBeUndefined();
  });

  it('refuses garbage and a token signed by a key the apiserver does not trust', async () => {
    expect(await reviewer.review('not-a-token')).toBeUndefined();
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ 'kubernetes.io': { namespace, serviceaccount: { name: 'webhook-router', uid: 'x' } } })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://kubernetes.default.svc')
      .setSubject(serviceAccountUsername(namespace, 'webhook-router'))
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    expect(await reviewer.review(forged)).toBeUndefined();
  });

  it('refuses the token of a deleted account once the positive cache has expired', async () => {
    const token = await tokenFor('removed-caller');
    const shortLived = createTokenReviewer(env.kubeConfig, { audience, cacheSeconds: 1 });
    expect((await shortLived.review(token))?.name).toBe('removed-caller');
    await env.kubeConfig.makeApiClient(CoreV1Api).deleteNamespacedServiceAccount({ namespace, name: 'removed-caller' });
    // The apiserver caches an authenticated token too (10 s by default), so the refusal comes after both caches.
    await waitUntil('the deleted account to be refused', async () => (await shortLived.review(token)) === undefined, {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
  });

  it('asks the apiserver once for repeated and concurrent reviews of one token', async () => {
    const kubeConfig = countingKubeConfig();
    const cached = createTokenReviewer(kubeConfig, { audience });
    const token = await tokenFor('library-service');
    const results = await Promise.all([cached.review(token), cached.review(token), cached.review(token)]);
    expect(results.map((r) => r?.name)).toEqual(['library-service', 'library-service', 'library-service']);
    expect((await cached.review(token))?.name).toBe('library-service');
    expect(kubeConfig.tokenReviews).toBe(1);

    expect(await cached.review('not-a-token')).toBeUndefined();
    expect(await cached.review('not-a-token')).toBeUndefined();
    expect(kubeConfig.tokenReviews).toBe(2);
  });

  // Last: it stops the apiserver.
  it('throws, rather than refusing the token, when the apiserver cannot be asked', async () => {
    const token = await tokenFor('webhook-router');
    await env.stop();
    await expect(reviewer.review(token)).rejects.toThrow();
  });
});
