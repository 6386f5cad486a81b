import { describe, expect, it } from '@jest/globals';
import { readRouterConfig } from './config.js';

describe('readRouterConfig', () => {
  it('defaults to the in-cluster book controller and a 10 s deadline', () => {
    expect(readRouterConfig({})).toEqual({ controllerUrl: 'http://book-controller:9090', controllerTimeoutMs: 10_000 });
  });

  it('reads BDK_CONTROLLER_URL and BDK_CONTROLLER_TIMEOUT_MS', () => {
    expect(readRouterConfig({ BDK_CONTROLLER_URL: 'http://127.0.0.1:7000', BDK_CONTROLLER_TIMEOUT_MS: '500' })).toEqual({
      controllerUrl: 'http://127.0.0.1:7000',
      controllerTimeoutMs: 500,
    });
  });

  it.each(['book-controller:9090', 'ftp://x', 'not a url'])('rejects BDK_CONTROLLER_URL=%s', (value) => {
    expect(() => readRouterConfig({ BDK_CONTROLLER_URL: value })).toThrow('BDK_CONTROLLER_URL must be an http:// or https:// URL');
  });

  it.each(['0', '-5', '1.5', 'soon', '60000'])('rejects BDK_CONTROLLER_TIMEOUT_MS=%s', (value) => {
    expect(() => readRouterConfig({ BDK_CONTROLLER_TIMEOUT_MS: value })).toThrow('BDK_CONTROLLER_TIMEOUT_MS must be a whole number');
  });
});
