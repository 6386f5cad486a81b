// library-service's own settings (the shared ones, ports and BDK_NAMESPACE, are @bdk/service-runtime's).
import { ConfigError, envString, readControllerConnection, type ControllerConnection } from '@bdk/service-runtime';
import { validateDnsLabel } from './validation.js';

/** The controller connection: the book controller writes instances' Secrets into customer namespaces. */
export interface LibraryConfig extends ControllerConnection {
  /** gRPC base URL of the Model Manager's PromptService; unset: books are created without prompts. */
  modelManagerUrl: string | undefined;
  /** Customer namespaces must start with this, when set (e.g. "customer-"). */
  customerNamespacePrefix: string | undefined;
  /** The public base URL senders post webhooks to (the gateway's), without a trailing slash; '' when unknown. */
  webhookPublicUrl: string;
}

function httpUrl(env: NodeJS.ProcessEnv, name: string, example: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError(`${name} must be an http:// or https:// URL such as ${example}, got "${raw}"`);
  }
  return raw;
}

export function readLibraryConfig(env: NodeJS.ProcessEnv): LibraryConfig {
  const controller = readControllerConnection(env);
  const prefix = envString(env, 'BDK_CUSTOMER_NAMESPACE_PREFIX', '');
  if (prefix !== '') {
    try {
      // A prefix is the start of a DNS label: check it as one with a letter after it.
      validateDnsLabel(`${prefix}a`, 'BDK_CUSTOMER_NAMESPACE_PREFIX');
    } catch {
      throw new ConfigError(`BDK_CUSTOMER_NAMESPACE_PREFIX must be the start of a DNS label such as "customer-", got "${prefix}"`);
    }
  }
  return {
    modelManagerUrl: httpUrl(env, 'BDK_MODEL_MANAGER_URL', 'http://model-manager.models:9090'),
    ...controller,
    customerNamespacePrefix: prefix || undefined,
    webhookPublicUrl: (httpUrl(env, 'BDK_WEBHOOK_PUBLIC_URL', 'https://bdk.example.com') ?? '').replace(/\/+$/, ''),
  };
}
