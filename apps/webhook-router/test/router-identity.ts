// What the router reads about identities in its integration tests, written into a temporary directory: the
// BDK_AUTH_CONFIG file with a local issuer whose JWKS is a file (generateSigningKey), a way to mint that issuer's
// tokens, and the file holding the ServiceAccount token the router sends to the controller. The router's delivery
// queue (a SQLite file) lives in the same directory, so removing it removes everything the router wrote.
import { generateSigningKey, issueToken, type Permission } from '@bdk/auth';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const issuer = 'https://issuer.router-test.local';
export const audience = 'bdk';

export interface RouterIdentity {
  readonly authConfigFile: string;
  readonly controllerTokenFile: string;
  /** The environment the router reads them from, and where it keeps its delivery queue. */
  readonly env: Record<string, string>;
  /** A bearer token of the test issuer. */
  token(options: { organizationId?: string; permissions: readonly Permission[] }): Promise<string>;
  /** Replaces the controller token, as the kubelet does when it rotates a projected token. */
  writeControllerToken(token: string): Promise<void>;
  remove(): Promise<void>;
}

export async function createRouterIdentity(controllerToken: string): Promise<RouterIdentity> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'bdk-router-identity-'));
  const key = await generateSigningKey();
  const jwksFile = path.join(directory, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify(key.publicJwks));
  const authConfigFile = path.join(directory, 'auth-config.json');
  await writeFile(authConfigFile, JSON.stringify({ issuers: [{ issuer, audiences: [audience], jwksFile }] }));
  const controllerTokenFile = path.join(directory, 'controller-token');
  const writeControllerToken = (token: string) => writeFile(controllerTokenFile, token, { mode: 0o600 });
  await writeControllerToken(controllerToken);
  return {
    authConfigFile,
    controllerTokenFile,
    env: {
      BDK_AUTH_CONFIG: authConfigFile,
      BDK_CONTROLLER_TOKEN_FILE: controllerTokenFile,
      BDK_DELIVERY_SQLITE_PATH: path.join(directory, 'queue', 'deliveries.sqlite'),
    },
    token: ({ organizationId, permissions }) =>
      issueToken({ key, issuer, audience, subject: `user@${organizationId ?? 'nowhere'}`, organizationId, permissions }),
    writeControllerToken,
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
