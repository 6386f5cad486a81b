// library-service's own settings (the shared ones, ports and BDK_NAMESPACE, are @bdk/service-runtime's).
import { ConfigError } from '@bdk/service-runtime';

export interface LibraryConfig {
  /** gRPC base URL of the Model Manager's PromptService; unset: books are created without prompts. */
  modelManagerUrl: string | undefined;
}

export function readLibraryConfig(env: NodeJS.ProcessEnv): LibraryConfig {
  const raw = env['BDK_MODEL_MANAGER_URL'];
  if (raw === undefined || raw === '') return { modelManagerUrl: undefined };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`BDK_MODEL_MANAGER_URL must be a URL such as http://model-manager.models:9090, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`BDK_MODEL_MANAGER_URL must be an http:// or https:// URL, got "${raw}"`);
  }
  return { modelManagerUrl: raw };
}
