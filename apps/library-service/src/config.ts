// library-service's own settings (the shared ones, ports and BDK_NAMESPACE, are @bdk/service-runtime's).
import { ConfigError, envString } from '@bdk/service-runtime';
import { validateDnsLabel } from './validation.js';

export interface LibraryConfig {
  /** gRPC base URL of the Model Manager's PromptService; unset: books are created without prompts. */
  modelManagerUrl: string | undefined;
  /** gRPC base URL of the book controller, which writes instances' Secrets into customer namespaces. */
  controllerUrl: string;
  /** The projected ServiceAccount token this service presents to the controller. */
  controllerTokenFile: string;
  /** Customer namespaces must start with this, when set (e.g. "customer-"). */
  customerNamespacePrefix: string | undefined;
  /** The public base URL senders post webhooks to (the gateway's), without a trailing slash; '' when unknown. */
  webhookPublicUrl: string;
}

function httpUrl(env: NodeJS.ProcessEnv, name: string, example: string, fallback?: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError(`${name} must be an http:// or https:// URL such as ${example}, got "${raw}"`);
  }
  return raw;
}

export function readLibraryConfig(env: NodeJS.ProcessEnv): LibraryConfig {
  const controllerTokenFile = envString(env, 'BDK_CONTROLLER_TOKEN_FILE', '');
  if (controllerTokenFile === '') {
    throw new ConfigError('BDK_CONTROLLER_TOKEN_FILE is required: the path of the ServiceAccount token (audience bdk-book-controller) presented to the book controller');
  }
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
    controllerUrl: httpUrl(env, 'BDK_CONTROLLER_URL', 'http://book-controller:9090', 'http://book-controller:9090') ?? '',
    controllerTokenFile,
    customerNamespacePrefix: prefix || undefined,
    webhookPublicUrl: (httpUrl(env, 'BDK_WEBHOOK_PUBLIC_URL', 'https://bdk.example.com') ?? '').replace(/\/+$/, ''),
  };
}
