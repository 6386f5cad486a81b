import { describe, expect, it } from '@jest/globals';
import { readServiceConfig } from './config.js';

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
