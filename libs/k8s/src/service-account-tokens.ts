// Service-account identity for BDK's internal calls: a caller sends a projected ServiceAccount token minted for a
// dedicated audience, and the callee asks the apiserver (TokenReview) whose token it is.
import {
  AuthenticationV1Api,
  CoreV1Api,
  Observable,
  type ConfigurationOptions,
  type KubeConfig,
  type V1TokenReviewStatus,
} from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isConflict } from './custom-resources.js';

export interface ServiceAccountIdentity {
  /** `system:serviceaccount:<namespace>:<name>` */
  username: string;
  namespace: string;
  name: string;
}

const usernamePrefix = 'system:serviceaccount:';

/** `system:serviceaccount:<namespace>:<name>` */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${usernamePrefix}${namespace}:${name}`;
}

/** The service account a Kubernetes username names, or undefined when it names something else (a user, a node). */
export function serviceAccountOf(username: string): ServiceAccountIdentity | undefined {
  if (!username.startsWith(usernamePrefix)) return undefined;
  const parts = username.slice(usernamePrefix.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { username, namespace: parts[0], name: parts[1] };
}

export interface TokenReviewer {
  /**
   * The service account the token belongs to, or undefined when the apiserver does not authenticate it for the
   * audience (expired, wrong audience, forged, deleted account, or not a service account). Throws only when the
   * apiserver cannot be asked (so the caller can answer Unavailable rather than Unauthenticated).
   */
  review(token: string): Promise<ServiceAccountIdentity | undefined>;
}

export interface TokenReviewerOptions {
  /** The audience callers request their tokens for; a token for any other audience is not accepted. */
  audience: string;
  /**
   * How long an accepted token stays accepted without asking again (never past its own expiry). Default 60. A
   * deleted account's tokens are refused after this plus the apiserver's own token cache (10 s by default).
   */
  cacheSeconds?: number;
}

const defaultCacheSeconds = 60;
// Long enough to absorb a caller retrying with a bad token, short enough that a token the apiserver rejected
// by mistake (its service-account lookup failing, say) is not refused for long.
const negativeCacheSeconds = 5;
const maxCachedTokens = 10_000;
// A review sits in the path of an RPC: an apiserver that does not answer is reported, not waited on.
const reviewTimeoutMs = 10_000;

/**
 * Caches positive answers for min(cacheSeconds, token exp) keyed by a SHA-256 of the token (never the token
 * itself), negative answers for a few seconds; concurrent reviews of one token share one request; bounded size.
 */
export function createTokenReviewer(kubeConfig: KubeConfig, options: TokenReviewerOptions): TokenReviewer {
  if (!options.audience) throw new Error('createTokenReviewer: audience must not be empty');
  const api = kubeConfig.makeApiClient(AuthenticationV1Api);
  const { audience } = options;
  return cachingTokenReviewer(
    async (token) => {
      const review = await api.createTokenReview(
        { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [audience] } } },
        requestTimeout(reviewTimeoutMs),
      );
      return authenticatedServiceAccount(review.status, audience);
    },
    { cacheSeconds: options.cacheSeconds ?? defaultCacheSeconds },
  );
}

/**
 * The identity a TokenReview status grants for the audience. The apiserver lists the audiences it checked the
 * token against; an empty list means it only checked its own, so the token is not proven to be for ours.
 */
export function authenticatedServiceAccount(status: V1TokenReviewStatus | undefined, audience: string): ServiceAccountIdentity | undefined {
  if (!status?.authenticated || !status.audiences?.includes(audience)) return undefined;
  return serviceAccountOf(status.user?.username ?? '');
}

export interface TokenReviewCacheOptions {
  cacheSeconds: number;
  negativeCacheSeconds?: number;
  maxEntries?: number;
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
}

interface CacheEntry {
  identity: ServiceAccountIdentity | undefined;
  expiresAt: number;
}

/** The cache of createTokenReviewer around any way of asking, so its rules are testable without an apiserver. */
export function cachingTokenReviewer(
  ask: (token: string) => Promise<ServiceAccountIdentity | undefined>,
  options: TokenReviewCacheOptions,
): TokenReviewer {
  const positiveMs = seconds('cacheSeconds', options.cacheSeconds) * 1000;
  const negativeMs = seconds('negativeCacheSeconds', options.negativeCacheSeconds ?? negativeCacheSeconds) * 1000;
  const maxEntries = options.maxEntries ?? maxCachedTokens;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<ServiceAccountIdentity | undefined>>();

  function remember(key: string, entry: CacheEntry) {
    if (entry.expiresAt <= now()) return;
    cache.delete(key);
    cache.set(key, entry);
    // Map iteration is insertion order, and a hit re-inserts: the first key is the least recently used.
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
  }

  return {
    review(token) {
      // Nothing to ask about; the apiserver would refuse the request rather than answer.
      if (!token) return Promise.resolve(undefined);
      const key = createHash('sha256').update(token).digest('base64url');
      const cached = cache.get(key);
      if (cached) {
        cache.delete(key);
        if (cached.expiresAt > now()) {
          cache.set(key, cached);
          return Promise.resolve(cached.identity);
        }
      }
      const pending = inFlight.get(key);
      if (pending) return pending;
      const asked = ask(token)
        .then((identity) => {
          const ttl = identity ? Math.min(positiveMs, expiresInMs(token, now())) : negativeMs;
          remember(key, { identity, expiresAt: now() + ttl });
          return identity;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, asked);
      return asked;
    },
  };
}

function seconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds >= 0, got ${value}`);
  return value;
}

/**
 * Milliseconds until the JWT's `exp`, read without verifying the signature: only ever used to shorten the cache
 * of a token the apiserver has just accepted. Infinity when the token carries no readable `exp`.
 */
function expiresInMs(token: string, now: number): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 - now : Infinity;
  } catch {
    return Infinity;
  }
}

/** client-node request options that abort a request still unanswered after `ms`. */
function requestTimeout(ms: number): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(AbortSignal.timeout(ms));
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/**
 * Reads a projected token file, re-reading it when its mtime changes (the kubelet rotates it). The kubelet
 * swaps a symlinked directory, so the inode is compared too: a swap can keep the mtime of a file it replaces.
 */
export function tokenFileSource(path: string): () => Promise<string> {
  let current: { mtimeNs: bigint; ino: bigint; token: string } | undefined;
  return async () => {
    const { mtimeNs, ino } = await stat(path, { bigint: true });
    if (current?.mtimeNs !== mtimeNs || current.ino !== ino) {
      const token = (await readFile(path, 'utf8')).trim();
      if (!token) throw new Error(`service-account token file ${path} is empty`);
      current = { mtimeNs, ino, token };
    }
    return current.token;
  };
}

/** For the local stack and tests: creates the ServiceAccount when missing (idempotent). */
export async function ensureServiceAccount(kubeConfig: KubeConfig, namespace: string, name: string): Promise<void> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  try {
    await api.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace } } });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

export interface ServiceAccountTokenRequest {
  namespace: string;
  name: string;
  audience: string;
  /** The apiserver's default (an hour) when unset; it refuses less than 600. */
  expirationSeconds?: number;
}

/** TokenRequest API: a token for the account with the audience. */
export async function requestServiceAccountToken(kubeConfig: KubeConfig, options: ServiceAccountTokenRequest): Promise<string> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const response = await api.createNamespacedServiceAccountToken({
    namespace: options.namespace,
    name: options.name,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [options.audience], expirationSeconds: options.expirationSeconds },
    },
  });
  const token = response.status?.token;
  if (!token) throw new Error(`the apiserver issued no token for service account ${options.namespace}/${options.name}`);
  return token;
}
