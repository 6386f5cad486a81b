import { describe, expect, it } from '@jest/globals';
import { deliveryKey, fromKeyToken, idempotencyKey, keyToken, natsStoreNames, organizationFilter } from './nats-names.js';

// What NATS accepts in a KV key token (and so in one subject token).
const kvToken = /^[-/_=A-Za-z0-9]+$/;

describe('keyToken', () => {
  it('turns any organisation id into one key token and back', () => {
    for (const id of ['org-a', 'acme.corp', 'a*b>c', 'with space', 'ünïcödé', '', '_', '..', 'a/b=c']) {
      const token = keyToken(id);
      expect(token).toMatch(kvToken);
      expect(fromKeyToken(token)).toBe(id);
    }
  });

  it('gives different ids different tokens, so no organisation\u2019s filter matches another\u2019s keys', () => {
    const ids = ['a', 'a.b', 'a.*', 'a>', '', '_', 'A'];
    expect(new Set(ids.map(keyToken)).size).toBe(ids.length);
    const key = deliveryKey('a.b', '0190a5a4-1111-7000-8000-000000000000');
    expect(key.startsWith(organizationFilter('a').slice(0, -1))).toBe(false);
    expect(key.startsWith(organizationFilter('a.b').slice(0, -1))).toBe(true);
  });
});

describe('deliveryKey', () => {
  it('refuses a webhook id that is not one key token', () => {
    expect(() => deliveryKey('org', 'a.b')).toThrow(/not a key token/);
    expect(() => deliveryKey('org', '>')).toThrow(/not a key token/);
  });
});

describe('idempotencyKey', () => {
  it('depends on the organisation, the source and the sender\u2019s id, whatever their characters', () => {
    const keys = [
      idempotencyKey('org-a', 'github', 'id-1'),
      idempotencyKey('org-b', 'github', 'id-1'),
      idempotencyKey('org-a', 'stripe', 'id-1'),
      idempotencyKey('org-a', 'github', 'id-2'),
      // The separator keeps (source, id) pairs apart that concatenate alike.
      idempotencyKey('org-a', 'githu', 'bid-1'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(idempotencyKey('org-a', 'github', 'id-1')).toBe(keys[0]);
    for (const key of [...keys, idempotencyKey('o.rg', 's rc', 'a.b*>\n')]) for (const token of key.split('.')) expect(token).toMatch(kvToken);
  });
});

describe('natsStoreNames', () => {
  it('derives every name from the prefix and refuses one that is no stream name', () => {
    expect(natsStoreNames('bdk-deliveries')).toMatchObject({ records: 'bdk-deliveries-records', workStream: 'bdk-deliveries-work', workSubject: 'bdk-deliveries.work' });
    expect(() => natsStoreNames('a.b')).toThrow();
    expect(() => natsStoreNames('')).toThrow();
  });
});
