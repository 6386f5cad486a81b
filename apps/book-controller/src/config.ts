// The book-controller's own settings (the shared ones — ports, BDK_NAMESPACE — come from readServiceConfig).
import { ConfigError, envPort, envString } from '@bdk/service-runtime';
import os from 'node:os';

export interface ControllerConfig {
  /** Image of a book's container, with {name} and {version} placeholders. */
  bookImageTemplate: string;
  /** Port the book container and its Service listen on. */
  bookPort: number;
  /** Base URL of a book, with {service}, {namespace} and {port} placeholders. */
  bookUrlTemplate: string;
  /** Keys reconciled in parallel. */
  workers: number;
  /** Retries per second across all keys once `queueBurst` is spent, beside each key's own backoff. */
  queueQps: number;
  queueBurst: number;
  leaderElection: LeaderElectionConfig;
  /** How long DispatchTrigger waits for one book to answer. */
  dispatchTimeoutMs: number;
  /** The audience callers' ServiceAccount tokens must be minted for. */
  internalAudience: string;
  /** The Kubernetes username allowed to call DispatchTrigger and ListWebhookSubscribers. */
  webhookRouterIdentity: string;
  /** The Kubernetes username allowed to call StoreInstanceSecrets. */
  libraryServiceIdentity: string;
}

/** Which replica reconciles: every replica serves gRPC and keeps its caches, only the Lease's holder reconciles. */
export interface LeaderElectionConfig {
  /** false: this process reconciles without a Lease, so it must be the only replica. */
  enabled: boolean;
  /** The Lease, in BDK's namespace. */
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** The first part of the holder identity (a random suffix makes it unique per process). */
  podName: string;
}

export function readControllerConfig(env: NodeJS.ProcessEnv): ControllerConfig {
  const bookImageTemplate = envString(env, 'BDK_BOOK_IMAGE_TEMPLATE', 'ghcr.io/bdk-books/{name}:{version}');
  const bookUrlTemplate = envString(env, 'BDK_BOOK_URL_TEMPLATE', 'http://{service}.{namespace}.svc:{port}');
  const bookPort = envPort(env, 'BDK_BOOK_PORT', 8080);
  if (bookPort === 0) throw new ConfigError('BDK_BOOK_PORT must be a port number (1-65535), got "0"');
  // A template that does not parse as a URL once filled in would fail every dispatch; fail at start-up instead.
  const sample = fillTemplate(bookUrlTemplate, { service: 'book', namespace: 'customer', port: String(bookPort) });
  if (!URL.canParse(sample) || !/^https?:$/.test(new URL(sample).protocol)) {
    throw new ConfigError(`BDK_BOOK_URL_TEMPLATE must give an http(s) URL, got "${bookUrlTemplate}"`);
  }
  // The callers run beside the controller, in BDK's own namespace (the same variable readServiceConfig reads).
  const namespace = envString(env, 'BDK_NAMESPACE', 'bdk');
  return {
    bookImageTemplate,
    bookPort,
    bookUrlTemplate,
    workers: positiveInteger(env, 'BDK_CONTROLLER_WORKERS', 2),
    queueQps: positiveInteger(env, 'BDK_CONTROLLER_QPS', 10),
    queueBurst: positiveInteger(env, 'BDK_CONTROLLER_BURST', 100),
    leaderElection: readLeaderElection(env),
    dispatchTimeoutMs: positiveInteger(env, 'BDK_DISPATCH_TIMEOUT_MS', 10_000),
    internalAudience: envString(env, 'BDK_INTERNAL_AUDIENCE', 'bdk-book-controller'),
    webhookRouterIdentity: serviceAccountIdentity(env, 'BDK_WEBHOOK_ROUTER_IDENTITY', namespace, 'webhook-router'),
    libraryServiceIdentity: serviceAccountIdentity(env, 'BDK_LIBRARY_SERVICE_IDENTITY', namespace, 'library-service'),
  };
}

function readLeaderElection(env: NodeJS.ProcessEnv): LeaderElectionConfig {
  const enabled = envString(env, 'BDK_LEADER_ELECTION', 'true');
  if (enabled !== 'true' && enabled !== 'false') throw new ConfigError(`BDK_LEADER_ELECTION must be true or false, got "${enabled}"`);
  const leaseDurationMs = positiveInteger(env, 'BDK_LEADER_ELECTION_LEASE_DURATION_MS', 15_000);
  const renewDeadlineMs = positiveInteger(env, 'BDK_LEADER_ELECTION_RENEW_DEADLINE_MS', 10_000);
  const retryPeriodMs = positiveInteger(env, 'BDK_LEADER_ELECTION_RETRY_PERIOD_MS', 2_000);
  // The leader must give up before another may take over, and try more than once before it gives up.
  if (leaseDurationMs < 1_000 || leaseDurationMs <= renewDeadlineMs || renewDeadlineMs <= retryPeriodMs) {
    throw new ConfigError(
      `leader election needs BDK_LEADER_ELECTION_LEASE_DURATION_MS (at least 1000) > BDK_LEADER_ELECTION_RENEW_DEADLINE_MS > BDK_LEADER_ELECTION_RETRY_PERIOD_MS, got ${leaseDurationMs}, ${renewDeadlineMs}, ${retryPeriodMs}`,
    );
  }
  const leaseName = envString(env, 'BDK_LEADER_ELECTION_LEASE_NAME', 'book-controller');
  if (!/^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/.test(leaseName)) {
    throw new ConfigError(`BDK_LEADER_ELECTION_LEASE_NAME must be a Kubernetes object name (lower case, digits, '-' and '.'), got "${leaseName}"`);
  }
  return {
    enabled: enabled === 'true',
    leaseName,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    // In a pod the hostname is the pod's name; the chart also passes it explicitly.
    podName: envString(env, 'POD_NAME', os.hostname()),
  };
}

// A ServiceAccount username; anything else (a user name, a typo without the prefix) would match no token and
// lock the caller out with nothing in the logs but PermissionDenied, so it fails at start-up instead.
const serviceAccountUsername = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

function serviceAccountIdentity(env: NodeJS.ProcessEnv, name: string, namespace: string, account: string): string {
  const value = envString(env, name, `system:serviceaccount:${namespace}:${account}`);
  if (!serviceAccountUsername.test(value)) {
    throw new ConfigError(`${name} must be a ServiceAccount username (system:serviceaccount:<namespace>:<name>), got "${value}"`);
  }
  return value;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Replaces each {key} with its value; unknown placeholders stay as they are. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, key: string) => values[key] ?? whole);
}

export function bookImage(config: Pick<ControllerConfig, 'bookImageTemplate'>, name: string, version: string): string {
  return fillTemplate(config.bookImageTemplate, { name, version });
}

/** Base URL of an instance's book, e.g. http://customer-support-1a2b3c4d.customer-acme.svc:8080. */
export function bookUrl(config: Pick<ControllerConfig, 'bookUrlTemplate' | 'bookPort'>, service: string, namespace: string): string {
  return fillTemplate(config.bookUrlTemplate, { service, namespace, port: String(config.bookPort) });
}
