import path from 'node:path';
import { envPort } from '@bdk/service-runtime';
import { workspaceRoot } from '@bdk/testing';

export const apps = ['library-service', 'book-controller', 'webhook-router'] as const;
export type AppName = (typeof apps)[number];

/** Webhook sources that get a development secret when none is configured, so the seed's example can be signed. */
export const defaultWebhookSources = ['github', 'zendesk'];
export const developmentWebhookSecret = 'local-dev-secret';

export interface LocalStackOptions {
  /** Files of the embedded Kubernetes API (removed on stop). */
  stateDir: string;
  /** A cluster to use instead of the embedded API. */
  kubeconfig: string | undefined;
  /** The gateway's port on 127.0.0.1 (0: any free port). */
  gatewayPort: number;
  /** First of the apps' gRPC ports; admin ports are +100, sidecar REST ports +200 (0: free ports). */
  basePort: number;
  /** Stand in for what only a real cluster has: book pods that become ready and answer triggers. */
  simulateWorkloads: boolean;
  /** Where the controller sends triggers; unset means the stack's own book stand-in. */
  bookUrlTemplate: string | undefined;
  /** BDK_WEBHOOK_SECRET_* from the environment, or development secrets when there are none. */
  webhookSecrets: Record<string, string>;
  /** Whether webhookSecrets are the development defaults. */
  developmentSecrets: boolean;
}

/** `npm start`'s settings, all from the environment (documented in the README). */
export function readLocalStackOptions(env: NodeJS.ProcessEnv): LocalStackOptions {
  const configuredSecrets = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('BDK_WEBHOOK_SECRET_') && value));
  const developmentSecrets = Object.keys(configuredSecrets).length === 0 && !env['BDK_WEBHOOK_UNSIGNED_SOURCES'];
  const webhookSecrets = developmentSecrets
    ? Object.fromEntries(defaultWebhookSources.map((source) => [`BDK_WEBHOOK_SECRET_${source.toUpperCase()}`, developmentWebhookSecret]))
    : (configuredSecrets as Record<string, string>);
  return {
    stateDir: env['BDK_LOCAL_STACK_DIR'] ?? path.join(workspaceRoot, '.local-stack'),
    kubeconfig: env['KUBECONFIG'] || undefined,
    gatewayPort: envPort(env, 'BDK_GATEWAY_PORT', 8080),
    basePort: envPort(env, 'BDK_GRPC_BASE_PORT', 9091),
    simulateWorkloads: (env['BDK_LOCAL_SIMULATE_WORKLOADS'] ?? 'true') !== 'false',
    bookUrlTemplate: env['BDK_BOOK_URL_TEMPLATE'] || undefined,
    webhookSecrets,
    developmentSecrets,
  };
}
