import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './config.js';
import { readControllerConnection } from './controller-connection.js';

describe('readControllerConnection', () => {
  it('reads the URL (in-cluster default) and the token file', () => {
    expect(readControllerConnection({ BDK_CONTROLLER_TOKEN_FILE: '/var/run/token' })).toEqual({
      controllerUrl: 'http://book-controller:9090',
      controllerTokenFile: '/var/run/token',
    });
    expect(readControllerConnection({ BDK_CONTROLLER_URL: 'https://c.bdk:9443', BDK_CONTROLLER_TOKEN_FILE: '/t' }).controllerUrl).toBe('https://c.bdk:9443');
  });

  it('refuses to start without a token file or with a URL that is not http(s), naming the variable', () => {
    expect(() => readControllerConnection({})).toThrow(/^BDK_CONTROLLER_TOKEN_FILE/);
    expect(() => readControllerConnection({ BDK_CONTROLLER_URL: 'ftp://x', BDK_CONTROLLER_TOKEN_FILE: '/t' })).toThrow(/^BDK_CONTROLLER_URL must be an http/);
    expect(() => readControllerConnection({ BDK_CONTROLLER_URL: 'not a url', BDK_CONTROLLER_TOKEN_FILE: '/t' })).toThrow(ConfigError);
  });
});
