import path from 'node:path';
import { envPort } from '@bdk/service-runtime';
import { workspaceRoot } from '@bdk/testing';

export const apps = ['library-service', 'book-controller', 'webhook-router'] as const;
export type AppName = (typeof apps)[number];

/** Where the webhook router keeps its deliveries (BDK_DELIVERY_STORE). */
export type DeliveryStore = 'sqlite' | 'nats';

export interface LocalStackOptions {
  /** The stack's state, kept across stops: the embedded API's etcd, the signing key, the router's queue. */
  stateDir: string;
  /** Wipe the state before starting (`--fresh`, or BDK_LOCAL_FRESH=1). */
  fresh: boolean;
  /** The router's delivery store; `nats` also starts a nats-server with its JetStream data in the state dir. */
  deliveryStore: DeliveryStore;
  /** A cluster to use instead of the embedded API. */
  kubeconfig: string | undefined;
  /** The gateway's port on 127.0.0.1 (0: any free port). */
  gatewayPort: number;
  /**
   * First of the apps' gRPC ports; admin ports are +100, sidecar REST ports +200, the book stand-in +300 and
   * nats-server +400 (0: free ports).
   */
  basePort: number;
  /** Where the controller sends triggers; unset means the stack's own book stand-in. */
  bookUrlTemplate: string | undefined;
  /** Customer namespaces must start with this, when set (BDK_CUSTOMER_NAMESPACE_PREFIX). */
  customerNamespacePrefix: string | undefined;
}

const truthy = (value: string | undefined) => value !== undefined && /^(1|true|yes)$/i.test(value);

/** `npm start`'s settings, from the environment and its arguments (documented in the README); a bad one throws. */
export function readLocalStackOptions(env: NodeJS.ProcessEnv, args: readonly string[] = []): LocalStackOptions {
  const unknown = args.filter((arg) => arg !== '--fresh');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}: npm start takes only --fresh (wipe the kept state first)`);
  const deliveryStore = env['BDK_LOCAL_DELIVERY_STORE'] || 'sqlite';
  if (deliveryStore !== 'sqlite' && deliveryStore !== 'nats') {
    throw new Error(`BDK_LOCAL_DELIVERY_STORE is ${deliveryStore}: use sqlite (the default) or nats`);
  }
  return {
    stateDir: path.resolve(env['BDK_LOCAL_STACK_DIR'] || path.join(workspaceRoot, '.local-stack')),
    fresh: args.includes('--fresh') || truthy(env['BDK_LOCAL_FRESH']),
    deliveryStore,
    kubeconfig: env['KUBECONFIG'] || undefined,
    gatewayPort: envPort(env, 'BDK_GATEWAY_PORT', 8080),
    basePort: envPort(env, 'BDK_GRPC_BASE_PORT', 9091),
    bookUrlTemplate: env['BDK_BOOK_URL_TEMPLATE'] || undefined,
    customerNamespacePrefix: env['BDK_CUSTOMER_NAMESPACE_PREFIX'] || undefined,
  };
}
