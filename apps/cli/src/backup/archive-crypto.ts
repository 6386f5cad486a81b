// How an archive is written to a file: gzip, then, with a passphrase, AES-256-GCM under a key derived with scrypt.
//
// Encrypted file: one header line of JSON (format, scrypt parameters and salt, the GCM nonce and tag), then the
// ciphertext. The header is the GCM's additional data, so a changed parameter fails authentication like a changed
// byte of ciphertext. Plain file: the gzip stream alone. The passphrase and the key never leave this module.
import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';

export const encryptedFormat = 'bdk-backup-encrypted/v1';

interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

interface EncryptedHeader {
  format: typeof encryptedFormat;
  kdf: { name: 'scrypt'; salt: string } & ScryptParameters;
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
}

/** scrypt's cost as OWASP recommends it for interactive use (2^17, 8, 1): about 128 MiB and a fraction of a second. */
export const defaultScrypt: ScryptParameters = { N: 2 ** 17, r: 8, p: 1 };

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: ScryptOptions) => Promise<Buffer>;

export class ArchiveDecryptionError extends Error {
  override name = 'ArchiveDecryptionError';
}

async function deriveKey(passphrase: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  // Limits on what a header may ask for, so a crafted file cannot make scrypt take gigabytes.
  if (parameters.N > 2 ** 20 || parameters.r > 32 || parameters.p > 16) throw new ArchiveDecryptionError('the archive asks for scrypt parameters beyond the limits');
  const maxmem = 128 * parameters.N * parameters.r * parameters.p + 32 * 1024 * 1024;
  return scryptAsync(passphrase.normalize('NFC'), salt, 32, { ...parameters, maxmem });
}

/** The archive's JSON text as the bytes of a file: gzip, encrypted when a passphrase is given. */
export async function sealArchive(json: string, passphrase: string | undefined, parameters: ScryptParameters = defaultScrypt): Promise<Buffer> {
  const compressed = gzipSync(Buffer.from(json, 'utf8'));
  if (passphrase === undefined) return compressed;
  if (passphrase === '') throw new ArchiveDecryptionError('the passphrase is empty');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, parameters);
  const headerWithoutTag = { format: encryptedFormat, kdf: { name: 'scrypt', salt: salt.toString('base64'), ...parameters }, cipher: 'aes-256-gcm', iv: iv.toString('base64') };
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(JSON.stringify(headerWithoutTag), 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(compressed), cipher.final()]);
  const header: EncryptedHeader = { ...(headerWithoutTag as Omit<EncryptedHeader, 'tag'>), tag: cipher.getAuthTag().toString('base64') };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), ciphertext]);
}

/** Whether a file's bytes are an encrypted archive (and so need a passphrase). */
export function isEncryptedArchive(file: Buffer): boolean {
  return file.subarray(0, 64).toString('utf8').startsWith(`{"format":"${encryptedFormat}"`);
}

/** The archive's JSON text from a file's bytes; a wrong passphrase or a changed file is an ArchiveDecryptionError. */
export async function openArchive(file: Buffer, passphrase: string | undefined): Promise<string> {
  if (!isEncryptedArchive(file)) return gunzip(file, 'not a BDK backup (neither encrypted nor gzip)');
  if (passphrase === undefined) throw new ArchiveDecryptionError('the archive is encrypted: give its passphrase (--passphrase-file)');
  const newline = file.indexOf(0x0a);
  if (newline < 0) throw new ArchiveDecryptionError('the archive header is cut short');
  let header: EncryptedHeader;
  try {
    header = JSON.parse(file.subarray(0, newline).toString('utf8')) as EncryptedHeader;
  } catch {
    throw new ArchiveDecryptionError('the archive header is not JSON');
  }
  if (header.kdf?.name !== 'scrypt' || header.cipher !== 'aes-256-gcm') throw new ArchiveDecryptionError('the archive uses a key derivation or cipher this bdk does not know');
  const { tag, ...headerWithoutTag } = header;
  const key = await deriveKey(passphrase, Buffer.from(header.kdf.salt, 'base64'), { N: header.kdf.N, r: header.kdf.r, p: header.kdf.p });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
  decipher.setAAD(Buffer.from(JSON.stringify(headerWithoutTag), 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  let compressed: Buffer;
  try {
    compressed = Buffer.concat([decipher.update(file.subarray(newline + 1)), decipher.final()]);
  } catch {
    throw new ArchiveDecryptionError('the passphrase does not open this archive, or the file has been changed');
  }
  return gunzip(compressed, 'the decrypted archive is not gzip');
}

function gunzip(bytes: Buffer, message: string): string {
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch {
    throw new ArchiveDecryptionError(message);
  }
}
