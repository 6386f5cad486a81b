import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configFilePath, readConfig, resolveConnection, writeConfig } from './config.js';

describe('configFilePath', () => {
  it('is bdk/config.json under XDG_CONFIG_HOME, else under ~/.config', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/x/config', HOME: '/home/a' })).toBe('/x/config/bdk/config.json');
    expect(configFilePath({ HOME: '/home/a' })).toBe('/home/a/.config/bdk/config.json');
  });
});

describe('the config file', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bdk-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is {} before login, and reads back what was written, readable by its owner only', async () => {
    const file = path.join(dir, 'bdk', 'config.json');
    expect(await readConfig(file)).toEqual({});
    await writeConfig(file, { server: 'http://gateway:8080', token: 'a.b.c' });
    expect(await readConfig(file)).toEqual({ server: 'http://gateway:8080', token: 'a.b.c' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ server: 'http://gateway:8080', token: 'a.b.c' });
  });

  it('names the file and the field when it is not what bdk writes', async () => {
    const file = path.join(dir, 'config.json');
    await mkdir(dir, { recursive: true });
    await writeFile(file, '{"server": 8080}');
    await expect(readConfig(file)).rejects.toThrow(`${file}: server: expected a string`);
    await writeFile(file, 'server=x');
    await expect(readConfig(file)).rejects.toThrow(`${file}: not JSON`);
  });
});

describe('resolveConnection', () => {
  const saved = { server: 'http://saved:1', token: 'saved-token' };
  const env = { BDK_SERVER: 'http://env:2', BDK_TOKEN: 'env-token' };

  it('takes flags over BDK_SERVER/BDK_TOKEN over the saved login over the local gateway', () => {
    expect(resolveConnection({ server: 'http://flag:3/', token: 'flag-token' }, env, saved)).toEqual({ server: 'http://flag:3', token: 'flag-token' });
    expect(resolveConnection({}, env, saved)).toEqual({ server: 'http://env:2', token: 'env-token' });
    expect(resolveConnection({}, {}, saved)).toEqual({ server: 'http://saved:1', token: 'saved-token' });
    expect(resolveConnection({}, {}, {})).toEqual({ server: 'http://127.0.0.1:8080' });
  });

  it('names where a bad server URL came from', () => {
    expect(() => resolveConnection({ server: 'gateway:8080' }, {}, {})).toThrow('--server: must be an http:// or https:// URL, got "gateway:8080"');
    expect(() => resolveConnection({}, { BDK_SERVER: 'not a url' }, {})).toThrow('BDK_SERVER: not a URL');
  });
});
