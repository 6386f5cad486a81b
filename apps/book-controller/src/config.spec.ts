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
    });
    expect(bookImage(config, 'customer-support', '1.0.0')).toBe('ghcr.io/bdk-books/customer-support:1.0.0');
    expect(bookUrl(config, 'cs-1', 'customer-acme')).toBe('http://cs-1.customer-acme.svc:8080');
  });

  it.each([
    [{ BDK_BOOK_URL_TEMPLATE: 'not a url' }, 'BDK_BOOK_URL_TEMPLATE must give an http(s) URL'],
    [{ BDK_BOOK_PORT: 'x' }, 'BDK_BOOK_PORT must be a port number'],
    [{ BDK_CONTROLLER_WORKERS: '0' }, 'BDK_CONTROLLER_WORKERS must be a positive integer'],
  ])('rejects %j, naming the variable', (env, message) => {
    expect(() => readControllerConfig(env)).toThrow(message);
  });
});
