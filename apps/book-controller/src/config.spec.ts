import { describe, expect, it } from '@jest/globals';
import os from 'node:os';
import { bookImage, bookUrl, readControllerConfig } from './config.js';

describe('readControllerConfig', () => {
  it('defaults to the in-cluster settings', () => {
    const config = readControllerConfig({});
    expect(config).toEqual({
      bookImageTemplate: 'ghcr.io/bdk-books/{name}:{version}',
      bookPort: 8080,
      bookUrlTemplate: 'http://{service}.{namespace}.svc:{port}',
      workers: 2,
      queueQps: 10,
      queueBurst: 100,
      leaderElection: {
        enabled: true,
        leaseName: 'book-controller',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
        podName: os.hostname(),
      },
      dispatchTimeoutMs: 10_000,
      internalAudience: 'bdk-book-controller',
      webhookRouterIdentity: 'system:serviceaccount:bdk:webhook-router',
      libraryServiceIdentity: 'system:serviceaccount:bdk:library-service',
    });
    expect(bookImage(config, 'customer-support', '1.0.0')).toBe('ghcr.io/bdk-books/customer-support:1.0.0');
    expect(bookUrl(config, 'cs-1', 'customer-acme')).toBe('http://cs-1.customer-acme.svc:8080');
  });

  it('names the callers after BDK_NAMESPACE unless told otherwise', () => {
    expect(readControllerConfig({ BDK_NAMESPACE: 'bdk-test' })).toMatchObject({
      webhookRouterIdentity: 'system:serviceaccount:bdk-test:webhook-router',
      libraryServiceIdentity: 'system:serviceaccount:bdk-test:library-service',
    });
    expect(
      readControllerConfig({
        BDK_INTERNAL_AUDIENCE: 'internal',
        BDK_WEBHOOK_ROUTER_IDENTITY: 'system:serviceaccount:edge:router',
        BDK_LIBRARY_SERVICE_IDENTITY: 'system:serviceaccount:api:library',
      }),
    ).toMatchObject({
      internalAudience: 'internal',
      webhookRouterIdentity: 'system:serviceaccount:edge:router',
      libraryServiceIdentity: 'system:serviceaccount:api:library',
    });
  });

  it('reads leader election and the queue\u2019s rate limit', () => {
    const config = readControllerConfig({
      BDK_LEADER_ELECTION: 'false',
      BDK_LEADER_ELECTION_LEASE_NAME: 'controller-lease',
      BDK_LEADER_ELECTION_LEASE_DURATION_MS: '3000',
      BDK_LEADER_ELECTION_RENEW_DEADLINE_MS: '2000',
      BDK_LEADER_ELECTION_RETRY_PERIOD_MS: '500',
      POD_NAME: 'book-controller-7d9f-abcde',
      BDK_CONTROLLER_QPS: '5',
      BDK_CONTROLLER_BURST: '20',
    });
    expect(config.leaderElection).toEqual({
      enabled: false,
      leaseName: 'controller-lease',
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 500,
      podName: 'book-controller-7d9f-abcde',
    });
    expect(config).toMatchObject({ queueQps: 5, queueBurst: 20 });
  });

  it.each([
    [{ BDK_LEADER_ELECTION: 'yes' }, 'BDK_LEADER_ELECTION must be true or false, got "yes"'],
    [{ BDK_LEADER_ELECTION_LEASE_NAME: 'Book_Controller' }, 'BDK_LEADER_ELECTION_LEASE_NAME must be a Kubernetes object name'],
    [{ BDK_LEADER_ELECTION_RENEW_DEADLINE_MS: '15000' }, 'leader election needs BDK_LEADER_ELECTION_LEASE_DURATION_MS (at least 1000) > BDK_LEADER_ELECTION_RENEW_DEADLINE_MS'],
    [{ BDK_LEADER_ELECTION_RETRY_PERIOD_MS: '10000' }, 'got 15000, 10000, 10000'],
    [{ BDK_LEADER_ELECTION_LEASE_DURATION_MS: '900', BDK_LEADER_ELECTION_RENEW_DEADLINE_MS: '600', BDK_LEADER_ELECTION_RETRY_PERIOD_MS: '200' }, 'got 900, 600, 200'],
    [{ BDK_CONTROLLER_QPS: '0' }, 'BDK_CONTROLLER_QPS must be a positive integer'],
    [{ BDK_WEBHOOK_ROUTER_IDENTITY: 'webhook-router' }, 'BDK_WEBHOOK_ROUTER_IDENTITY must be a ServiceAccount username'],
    [{ BDK_LIBRARY_SERVICE_IDENTITY: 'system:serviceaccount:bdk' }, 'BDK_LIBRARY_SERVICE_IDENTITY must be a ServiceAccount username'],
    [{ BDK_BOOK_URL_TEMPLATE: 'not a url' }, 'BDK_BOOK_URL_TEMPLATE must give an http(s) URL'],
    [{ BDK_BOOK_PORT: 'x' }, 'BDK_BOOK_PORT must be a port number'],
    [{ BDK_CONTROLLER_WORKERS: '0' }, 'BDK_CONTROLLER_WORKERS must be a positive integer'],
  ])('rejects %j, naming the variable', (env, message) => {
    expect(() => readControllerConfig(env)).toThrow(message);
  });
});
