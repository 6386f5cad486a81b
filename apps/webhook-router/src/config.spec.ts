import { describe, expect, it } from '@jest/globals';
import { readRouterConfig } from './config.js';

const required = { BDK_CONTROLLER_TOKEN_FILE: '/var/run/secrets/bdk/controller-token/token' };

describe('readRouterConfig', () => {
  it('defaults to the in-cluster book controller, a 10 s deadline, 300 s tolerance and a 5 s subscriber cache', () => {
    expect(readRouterConfig(required)).toEqual({
      controllerUrl: 'http://book-controller:9090',
      controllerTimeoutMs: 10_000,
      controllerTokenFile: '/var/run/secrets/bdk/controller-token/token',
      timestampToleranceSeconds: 300,
      subscriberCacheMs: 5_000,
    });
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
