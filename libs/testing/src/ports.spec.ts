import { describe, expect, it } from '@jest/globals';
import { freePort, withFreshPorts } from './ports.js';

describe('freePort', () => {
  it('never hands out the same port twice in one process', async () => {
    const ports = [];
    for (let i = 0; i < 40; i += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});

describe('withFreshPorts', () => {
  it('starts again when a port was taken under it, and only then', async () => {
    let calls = 0;
    const started = await withFreshPorts(async () => {
      calls += 1;
      if (calls < 3) throw new Error('etcd exited: listen tcp 127.0.0.1:40371: bind: address already in use');
      return 'up';
    });
    expect([started, calls]).toEqual(['up', 3]);

    let other = 0;
    await expect(
      withFreshPorts(async () => {
        other += 1;
        throw new Error('certificate expired');
      }),
    ).rejects.toThrow('certificate expired');
    expect(other).toBe(1);
  });

  it('gives up after the attempts it was given', async () => {
    let calls = 0;
    const clash = () => {
      calls += 1;
      return Promise.reject(new Error('bind: address already in use'));
    };
    await expect(withFreshPorts(clash, 2)).rejects.toThrow('address already in use');
    expect(calls).toBe(2);
  });
});
