import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPairFiles {
  cert: string;
  key: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`, { cause: error });
  }
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A throw-away certificate authority valid for one day. */
export async function createCertificateAuthority(dir: string, commonName: string): Promise<KeyPairFiles> {
  const files = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  await openssl(['req', '-x509', ...ecKey, '-days', '1', '-subj', `/CN=${commonName}`, '-keyout', files.key, '-out', files.cert]);
  return files;
}

export interface CertificateRequest {
  /** File name stem in `dir`. */
  name: string;
  commonName: string;
  /** Organizations; for client certificates Kubernetes reads them as groups. */
  organizations?: string[];
  /** serverAuth certificates need the names clients dial. */
  usage: 'server' | 'client';
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** A certificate signed by `ca`. */
export async function issueCertificate(dir: string, ca: KeyPairFiles, request: CertificateRequest): Promise<KeyPairFiles> {
  const files = { cert: path.join(dir, `${request.name}.crt`), key: path.join(dir, `${request.name}.key`) };
  const csr = path.join(dir, `${request.name}.csr`);
  const extensions = path.join(dir, `${request.name}.ext`);
  const subject = ['/CN=' + request.commonName, ...(request.organizations ?? []).map((o) => `/O=${o}`)].join('');
  const altNames = [...(request.dnsNames ?? []).map((n) => `DNS:${n}`), ...(request.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
  await writeFile(
    extensions,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${request.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(altNames.length > 0 ? [`subjectAltName=${altNames.join(',')}`] : []),
    ].join('\n'),
  );
  await openssl(['req', '-new', ...ecKey, '-subj', subject, '-keyout', files.key, '-out', csr]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '1', '-extfile', extensions, '-out', files.cert]);
  return files;
}

/** The RSA key pair kube-apiserver signs and verifies service-account tokens with. */
export async function createServiceAccountKeys(dir: string): Promise<{ publicKey: string; privateKey: string }> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const files = { publicKey: path.join(dir, 'sa.pub'), privateKey: path.join(dir, 'sa.key') };
  await writeFile(files.publicKey, publicKey);
  await writeFile(files.privateKey, privateKey, { mode: 0o600 });
  return files;
}

/** A cluster's key material, as files: what kube-apiserver and the components beside it are started with. */
export interface ClusterPki {
  /** The CA every certificate here is signed with; the apiserver trusts client certificates it signed. */
  readonly ca: KeyPairFiles;
  /** A serving certificate for 127.0.0.1 (and the apiserver's names), which every component serves HTTPS with. */
  readonly serving: KeyPairFiles;
  /** The key pair ServiceAccount tokens are signed and verified with. */
  readonly serviceAccount: { readonly publicKey: string; readonly privateKey: string };
}
