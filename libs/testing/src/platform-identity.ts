// Who is who in a BDK installation outside a cluster (the local stack and the tests): the JWT issuer that API
// callers' tokens come from (a local signing key and the BDK_AUTH_CONFIG file naming its JWKS), and the
// ServiceAccounts whose projected tokens the library-service and the webhook-router present to the book controller.
// In a cluster the identity provider and the kubelet provide these; here they are made on the real apiserver.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { issueToken, tokenPermissions, writeLocalSigningKey, type LocalSigningKeyFile } from '@bdk/auth';

/** The audience of the tokens the controller accepts (its BDK_INTERNAL_AUDIENCE default). */
export const controllerAudience = 'bdk-book-controller';
/** The ServiceAccount names the controller's identity defaults expect in BDK's namespace. */
export const platformServiceAccounts = { library: 'library-service', router: 'webhook-router' } as const;

export interface PlatformIdentity {
  /** The BDK_AUTH_CONFIG file (the local issuer, its JWKS as a file). */
  readonly authConfigFile: string;
  readonly signingKey: LocalSigningKeyFile;
  /** Environment for each app, on top of KUBECONFIG and BDK_NAMESPACE. */
  readonly env: {
    library: Record<string, string>;
    router: Record<string, string>;
    controller: Record<string, string>;
  };
  /** A bearer token of the local issuer with what `npm run token` grants (--org, --admin) unless told otherwise. */
  token(options: { organizationId?: string; permissions?: readonly string[]; admin?: boolean; subject?: string; expiresInSeconds?: number }): Promise<string>;
  /** Requests fresh ServiceAccount tokens into the token files (the kubelet's job in a pod). */
  refreshServiceAccountTokens(): Promise<void>;
}

export interface PlatformIdentityOptions {
  /** Where the key, the auth config and the token files go. */
  directory: string;
  /** BDK's namespace, where the ServiceAccounts live. */
  namespace: string;
  issuer?: string;
  audience?: string;
}

export async function setUpPlatformIdentity(kubeConfig: KubeConfig, options: PlatformIdentityOptions): Promise<PlatformIdentity> {
  const issuer = options.issuer ?? 'https://bdk.local/issuer';
  const audience = options.audience ?? 'bdk';
  const { key, jwksFile } = await writeLocalSigningKey(path.join(options.directory, 'auth'), { issuer, audience });
  const authConfigFile = path.join(options.directory, 'auth', 'auth-config.json');
  await writeFile(authConfigFile, JSON.stringify({ issuers: [{ issuer, audiences: [audience], jwksFile }] }, null, 2) + '\n');

  const tokenFile = (account: string) => path.join(options.directory, 'auth', `${account}.token`);
  // client-node directly, not @bdk/k8s's helpers: @bdk/k8s's own tests use this harness.
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const refreshServiceAccountTokens = async () => {
    for (const account of Object.values(platformServiceAccounts)) {
      try {
        await core.createNamespacedServiceAccount({ namespace: options.namespace, body: { metadata: { name: account } } });
      } catch (error) {
        if (!(error instanceof ApiException && error.code === 409)) throw error;
      }
      const request = await core.createNamespacedServiceAccountToken({
        namespace: options.namespace,
        name: account,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [controllerAudience], expirationSeconds: 86_400 } },
      });
      await writeFile(tokenFile(account), request.status?.token ?? '', { mode: 0o600 });
    }
  };
  await refreshServiceAccountTokens();

  return {
    authConfigFile,
    signingKey: key,
    env: {
      library: { BDK_AUTH_CONFIG: authConfigFile, BDK_CONTROLLER_TOKEN_FILE: tokenFile(platformServiceAccounts.library) },
      router: { BDK_AUTH_CONFIG: authConfigFile, BDK_CONTROLLER_TOKEN_FILE: tokenFile(platformServiceAccounts.router) },
      controller: {
        BDK_INTERNAL_AUDIENCE: controllerAudience,
        BDK_LIBRARY_SERVICE_IDENTITY: `system:serviceaccount:${options.namespace}:${platformServiceAccounts.library}`,
        BDK_WEBHOOK_ROUTER_IDENTITY: `system:serviceaccount:${options.namespace}:${platformServiceAccounts.router}`,
      },
    },
    token: ({ organizationId, permissions, admin = false, subject, expiresInSeconds }) =>
      issueToken({
        key,
        issuer,
        audience,
        subject: subject ?? (organizationId ? `user@${organizationId}` : 'platform-admin'),
        organizationId,
        permissions: permissions ?? tokenPermissions({ organizationId, admin }),
        expiresInSeconds,
      }),
    refreshServiceAccountTokens,
  };
}
