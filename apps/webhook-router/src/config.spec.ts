import { describe, expect, it } from '@jest/globals';
import { readRouterConfig } from './config.js';

const required = { BDK_CONTROLLER_TOKEN_FILE: '/var/run/secrets/bdk/controller-token/token' };

describe('readRouterConfig', () => {
  const deliveryDefaults = {
    store: { kind: 'sqlite', path: '/var/lib/bdk/webhook-router/deliveries.sqlite' },
    firstAttemptBudgetMs: 2_000,
    retryDelaysMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
    heldRecheckMs: 15_000,
    retentionHours: 168,
    idempotencyWindowHours: 24,
    maxPending: 100_000,
    concurrency: 64,
    sourceLimit: { ratePerSecond: 0, burst: 1 },
    organizationLimit: { ratePerSecond: 0, burst: 1 },
  };

  it('defaults to the in-cluster book controller, a 10 s deadline, 300 s tolerance, a 5 s subscriber cache and a SQLite queue', () => {
    expect(readRouterConfig(required)).toEqual({
      controllerUrl: 'http://book-controller:9090',
      controllerTimeoutMs: 10_000,
      controllerTokenFile: '/var/run/secrets/bdk/controller-token/token',
      timestampToleranceSeconds: 300,
      subscriberCacheMs: 5_000,
      ...deliveryDefaults,
    });
  });

  it('reads the delivery settings', () => {
    expect(
      readRouterConfig({
        ...required,
        BDK_DELIVERY_STORE: 'nats',
        BDK_NATS_URL: 'nats://nats-0:4222, nats://nats-1:4222',
        BDK_DELIVERY_FIRST_ATTEMPT_BUDGET_MS: '500',
        BDK_DELIVERY_RETRY_SCHEDULE: '100ms,1s',
        BDK_DELIVERY_RETENTION_HOURS: '24',
        BDK_WEBHOOK_IDEMPOTENCY_WINDOW_HOURS: '2',
        BDK_DELIVERY_MAX_PENDING: '1000',
        BDK_DELIVERY_HELD_RECHECK_MS: '2000',
        BDK_DELIVERY_CONCURRENCY: '8',
        BDK_WEBHOOK_SOURCE_RATE: '100',
        BDK_WEBHOOK_ORGANIZATION_RATE: '20',
        BDK_WEBHOOK_ORGANIZATION_BURST: '50',
      }),
    ).toMatchObject({
      store: { kind: 'nats', servers: ['nats://nats-0:4222', 'nats://nats-1:4222'] },
      firstAttemptBudgetMs: 500,
      retryDelaysMs: [100, 1_000],
      heldRecheckMs: 2_000,
      retentionHours: 24,
      idempotencyWindowHours: 2,
      maxPending: 1_000,
      concurrency: 8,
      sourceLimit: { ratePerSecond: 100, burst: 100 },
      organizationLimit: { ratePerSecond: 20, burst: 50 },
    });
  });

  it('names what is wrong with the delivery settings', () => {
    expect(() => readRouterConfig({ ...required, BDK_DELIVERY_STORE: 'redis' })).toThrow('BDK_DELIVERY_STORE must be sqlite or nats, got "redis"');
    expect(() => readRouterConfig({ ...required, BDK_DELIVERY_STORE: 'nats' })).toThrow('BDK_NATS_URL must name the NATS servers');
    expect(() => readRouterConfig({ ...required, BDK_DELIVERY_STORE: 'nats', BDK_NATS_URL: 'http://x' })).toThrow('BDK_NATS_URL: "http://x" is not a nats://');
    expect(() => readRouterConfig({ ...required, BDK_DELIVERY_RETRY_SCHEDULE: '5s,later' })).toThrow('BDK_DELIVERY_RETRY_SCHEDULE "later" is not a delay');
    expect(() => readRouterConfig({ ...required, BDK_DELIVERY_CONCURRENCY: '0' })).toThrow('BDK_DELIVERY_CONCURRENCY must be a whole number of attempts from 1');
  });

  it('reads every variable', () => {
    expect(
      readRouterConfig({
        BDK_CONTROLLER_URL: 'http://127.0.0.1:7000',
        BDK_CONTROLLER_TIMEOUT_MS: '500',
        BDK_CONTROLLER_TOKEN_FILE: '/tmp/token',
        BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS: '60',
        BDK_WEBHOOK_SUBSCRIBER_CACHE_MS: '0',
      }),
    ).toEqual({
      controllerUrl: 'http://127.0.0.1:7000',
      controllerTimeoutMs: 500,
      controllerTokenFile: '/tmp/token',
      timestampToleranceSeconds: 60,
      subscriberCacheMs: 0,
      ...deliveryDefaults,
    });
  });

  it('requires BDK_CONTROLLER_TOKEN_FILE', () => {
    expect(() => readRouterConfig({})).toThrow('BDK_CONTROLLER_TOKEN_FILE is not set');
  });

  it.each(['book-controller:9090', 'ftp://x', 'not a url'])('rejects BDK_CONTROLLER_URL=%s', (value) => {
    expect(() => readRouterConfig({ ...required, BDK_CONTROLLER_URL: value })).toThrow('BDK_CONTROLLER_URL must be an http:// or https:// URL');
  });

  it.each(['0', '-5', '1.5', 'soon', '60000'])('rejects BDK_CONTROLLER_TIMEOUT_MS=%s', (value) => {
    expect(() => readRouterConfig({ ...required, BDK_CONTROLLER_TIMEOUT_MS: value })).toThrow('BDK_CONTROLLER_TIMEOUT_MS must be a whole number');
  });

  it.each(['0', '-1', '30.5', '1e3', 'five minutes', '3601'])('rejects BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS=%s', (value) => {
    expect(() => readRouterConfig({ ...required, BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS: value })).toThrow(
      'BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS must be a whole number of seconds from 1 to 3600',
    );
  });

  it.each(['-1', 'x', '60001'])('rejects BDK_WEBHOOK_SUBSCRIBER_CACHE_MS=%s', (value) => {
    expect(() => readRouterConfig({ ...required, BDK_WEBHOOK_SUBSCRIBER_CACHE_MS: value })).toThrow(
      'BDK_WEBHOOK_SUBSCRIBER_CACHE_MS must be a whole number of milliseconds from 0 to 60000',
    );
  });
});
