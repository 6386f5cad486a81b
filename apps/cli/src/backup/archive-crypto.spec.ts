import { describe, expect, it } from '@jest/globals';
import { ArchiveDecryptionError, isEncryptedArchive, openArchive, sealArchive } from './archive-crypto.js';

// Cheap parameters keep the unit tests fast; the default cost is exercised once below.
const cheap = { N: 2 ** 10, r: 8, p: 1 };
const json = JSON.stringify({ format: 'bdk-backup/v1', secret: 'whsec_do-not-leak' });

describe('sealArchive and openArchive', () => {
  it('round-trips a plain archive as gzip, readable without a passphrase', async () => {
    const file = await sealArchive(json, undefined);
    expect(file.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(isEncryptedArchive(file)).toBe(false);
    expect(await openArchive(file, undefined)).toBe(json);
  });

  it('encrypts with the passphrase: nothing of the content is in the file, and only that passphrase opens it', async () => {
    const file = await sealArchive(json, 'correct horse', cheap);
    expect(isEncryptedArchive(file)).toBe(true);
    expect(file.includes('whsec_do-not-leak')).toBe(false);
    const header = JSON.parse(file.subarray(0, file.indexOf(0x0a)).toString('utf8')) as Record<string, unknown>;
    expect(header).toMatchObject({ format: 'bdk-backup-encrypted/v1', cipher: 'aes-256-gcm', kdf: { name: 'scrypt', N: 1024, r: 8, p: 1 } });
    expect(await openArchive(file, 'correct horse')).toBe(json);
    await expect(openArchive(file, 'wrong horse')).rejects.toThrow(new ArchiveDecryptionError('the passphrase does not open this archive, or the file has been changed'));
    await expect(openArchive(file, undefined)).rejects.toThrow(/encrypted: give its passphrase/);
  });

  it('uses a fresh salt and nonce each time', async () => {
    const [a, b] = await Promise.all([sealArchive(json, 'p', cheap), sealArchive(json, 'p', cheap)]);
    expect(a.equals(b)).toBe(false);
  });

  it('refuses a file whose ciphertext or header was changed', async () => {
    const file = await sealArchive(json, 'p', cheap);
    const flipped = Buffer.from(file);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    await expect(openArchive(flipped, 'p')).rejects.toThrow(ArchiveDecryptionError);
    // A header naming a cheaper scrypt cost is authenticated too (it is the cipher's additional data).
    const newline = file.indexOf(0x0a);
    const header = JSON.parse(file.subarray(0, newline).toString('utf8')) as { kdf: { N: number } };
    header.kdf.N = 2 ** 11;
    const rewritten = Buffer.concat([Buffer.from(JSON.stringify(header)), file.subarray(newline)]);
    await expect(openArchive(rewritten, 'p')).rejects.toThrow(ArchiveDecryptionError);
  });

  it('refuses scrypt parameters beyond the limits, and bytes that are no archive', async () => {
    await expect(sealArchive(json, 'p', { N: 2 ** 21, r: 8, p: 1 })).rejects.toThrow(/beyond the limits/);
    await expect(openArchive(Buffer.from('hello'), undefined)).rejects.toThrow(/not a BDK backup/);
    await expect(sealArchive(json, '')).rejects.toThrow(/empty/);
  });

  it('opens an archive sealed at the default cost', async () => {
    expect(await openArchive(await sealArchive(json, 'default cost'), 'default cost')).toBe(json);
  });
});
