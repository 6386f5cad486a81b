// webhook-router settings beyond the shared ones (ports, namespace), read once at start-up.
import { ConfigError, envString } from '@bdk/service-runtime';

export interface RouterConfig {
  /** gRPC base URL of the book controller (BookControllerService). */
  controllerUrl: string;
  /** Deadline of one DispatchTrigger call; the controller posts to every target within it. */
  controllerTimeoutMs: number;
}

export function readRouterConfig(env: NodeJS.ProcessEnv): RouterConfig {
  const controllerUrl = envString(env, 'BDK_CONTROLLER_URL', 'http://book-controller:9090');
  let parsed: URL;
  try {
    parsed = new URL(controllerUrl);
  } catch {
    throw new ConfigError(`BDK_CONTROLLER_URL must be an http:// or https:// URL, got "${controllerUrl}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`BDK_CONTROLLER_URL must be an http:// or https:// URL, got "${controllerUrl}"`);
  }
  const rawTimeout = envString(env, 'BDK_CONTROLLER_TIMEOUT_MS', '10000');
  const controllerTimeoutMs = Number(rawTimeout);
  // Below Envoy's 30 s route timeout, so the sender gets the router's answer rather than Envoy's.
  if (!Number.isInteger(controllerTimeoutMs) || controllerTimeoutMs < 1 || controllerTimeoutMs > 25_000) {
    throw new ConfigError(`BDK_CONTROLLER_TIMEOUT_MS must be a whole number of milliseconds from 1 to 25000, got "${rawTimeout}"`);
  }
  return { controllerUrl, controllerTimeoutMs };
}
