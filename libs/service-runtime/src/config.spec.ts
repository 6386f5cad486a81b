import { describe, expect, it } from '@jest/globals';
import { envWholeNumber, readServiceConfig } from './config.js';

describe('readServiceConfig', () => {
  it('defaults to the in-cluster settings', () => {
    expect(readServiceConfig({})).toEqual({ grpcHost: '0.0.0.0', grpcPort: 9090, adminPort: 9464, namespace: 'bdk' });
  });

  it('reads the environment', () => {
    expect(readServiceConfig({ GRPC_HOST: '127.0.0.1', GRPC_PORT: '7000', ADMIN_PORT: '7001', BDK_NAMESPACE: 'bdk-test' })).toEqual({
      grpcHost: '127.0.0.1',
      grpcPort: 7000,
      adminPort: 7001,
      namespace: 'bdk-test',
    });
  });

  it.each(['abc', '-1', '70000', '80.5'])('rejects GRPC_PORT=%s, naming the variable', (value) => {
    expect(() => readServiceConfig({ GRPC_PORT: value })).toThrow(`GRPC_PORT must be a port number (0-65535), got "${value}"`);
  });
});

describe('envWholeNumber', () => {
  const range = { min: 1, max: 100, unit: 'seconds' };

  it('reads a whole number in range, or the fallback when unset', () => {
    expect(envWholeNumber({ WAIT: '42' }, 'WAIT', 5, range)).toBe(42);
    expect(envWholeNumber({}, 'WAIT', 5, range)).toBe(5);
    expect(envWholeNumber({ WAIT: '' }, 'WAIT', 5, range)).toBe(5);
  });

  it.each(['0', '101', '-1', '1.5', '1e2', 'soon'])('rejects WAIT=%s, naming the variable, the unit and the range', (value) => {
    expect(() => envWholeNumber({ WAIT: value }, 'WAIT', 5, range)).toThrow(`WAIT must be a whole number of seconds from 1 to 100, got "${value}"`);
  });
});
