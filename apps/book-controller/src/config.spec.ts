import { describe, expect, it } from '@jest/globals';
import { bookImage, bookUrl, readControllerConfig } from './config.js';

describe('readControllerConfig', () => {
  it('defaults to the in-cluster settings', () => {
    const config = readControllerConfig({});
    expect(config).toEqual({
      bookImageTemplate: 'ghcr.io/bdk-books/{name}:{version}',
      bookPort: 8080,
      bookUrlTemplate: 'http://{service}.{namespace}.svc:{port}',
      workers: 2,
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

  it.each([
    [{ BDK_WEBHOOK_ROUTER_IDENTITY: 'webhook-router' }, 'BDK_WEBHOOK_ROUTER_IDENTITY must be a ServiceAccount username'],
    [{ BDK_LIBRARY_SERVICE_IDENTITY: 'system:serviceaccount:bdk' }, 'BDK_LIBRARY_SERVICE_IDENTITY must be a ServiceAccount username'],
    [{ BDK_BOOK_URL_TEMPLATE: 'not a url' }, 'BDK_BOOK_URL_TEMPLATE must give an http(s) URL'],
    [{ BDK_BOOK_PORT: 'x' }, 'BDK_BOOK_PORT must be a port number'],
    [{ BDK_CONTROLLER_WORKERS: '0' }, 'BDK_CONTROLLER_WORKERS must be a positive integer'],
  ])('rejects %j, naming the variable', (env, message) => {
    expect(() => readControllerConfig(env)).toThrow(message);
  });
});
