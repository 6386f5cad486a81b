import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { openDeliveryStoreAt, parseDeliveryStoreLocation } from './delivery-store-location.js';

describe('parseDeliveryStoreLocation', () => {
  it('reads sqlite:PATH (made absolute) and nats:// URLs', () => {
    expect(parseDeliveryStoreLocation('sqlite:state/deliveries.sqlite')).toEqual({ kind: 'sqlite', path: path.resolve('state/deliveries.sqlite') });
    expect(parseDeliveryStoreLocation('sqlite:/var/lib/d.sqlite')).toEqual({ kind: 'sqlite', path: '/var/lib/d.sqlite' });
    expect(parseDeliveryStoreLocation('nats://127.0.0.1:4222')).toEqual({ kind: 'nats', servers: 'nats://127.0.0.1:4222' });
  });

  it('refuses anything else, saying what it expects', () => {
    expect(() => parseDeliveryStoreLocation('sqlite:')).toThrow(/needs the path/);
    expect(() => parseDeliveryStoreLocation('/var/lib/d.sqlite')).toThrow('--delivery-store: expected sqlite:PATH or nats://HOST:PORT, not "/var/lib/d.sqlite"');
  });
});

describe('openDeliveryStoreAt', () => {
  it('does not create a SQLite file for a backup when the path names none', async () => {
    await expect(openDeliveryStoreAt({ kind: 'sqlite', path: '/nonexistent/bdk/deliveries.sqlite' }, { mustExist: true })).rejects.toThrow(
      'no delivery store at /nonexistent/bdk/deliveries.sqlite',
    );
  });
});
