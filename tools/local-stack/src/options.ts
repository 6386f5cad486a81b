import path from 'node:path';
import { envPort } from '@bdk/service-runtime';
import { workspaceRoot } from '@bdk/testing';

export const apps = ['library-service', 'book-controller', 'webhook-router'] as const;
export type AppName = (typeof apps)[number];

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
  /** Customer namespaces must start with this, when set (BDK_CUSTOMER_NAMESPACE_PREFIX). */
  customerNamespacePrefix: string | undefined;
}

/** `npm start`'s settings, all from the environment (documented in the README). */
export function readLocalStackOptions(env: NodeJS.ProcessEnv): LocalStackOptions {
  return {
    stateDir: env['BDK_LOCAL_STACK_DIR'] ?? path.join(workspaceRoot, '.local-stack'),
    kubeconfig: env['KUBECONFIG'] || undefined,
    gatewayPort: envPort(env, 'BDK_GATEWAY_PORT', 8080),
    basePort: envPort(env, 'BDK_GRPC_BASE_PORT', 9091),
    simulateWorkloads: (env['BDK_LOCAL_SIMULATE_WORKLOADS'] ?? 'true') !== 'false',
    bookUrlTemplate: env['BDK_BOOK_URL_TEMPLATE'] || undefined,
    customerNamespacePrefix: env['BDK_CUSTOMER_NAMESPACE_PREFIX'] || undefined,
  };
}
