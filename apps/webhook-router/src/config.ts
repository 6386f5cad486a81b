// webhook-router settings beyond the shared ones (ports, namespace) and the authentication file, read once at
// start-up.
import { ConfigError, envString, readControllerConnection, type ControllerConnection } from '@bdk/service-runtime';

export interface RouterConfig extends ControllerConnection {
  /** Deadline of one controller call; DispatchTrigger posts to every target within it. */
  controllerTimeoutMs: number;
  /** How far a signed timestamp may be from now, for the schemes that sign one (replay protection). */
  timestampToleranceSeconds: number;
  /** How long a source's (or an instance's) subscribers are reused before the controller is asked again. */
  subscriberCacheMs: number;
}

export function readRouterConfig(env: NodeJS.ProcessEnv): RouterConfig {
  const { controllerUrl, controllerTokenFile } = readControllerConnection(env);
  // Below Envoy's 30 s route timeout, so the sender gets the router's answer rather than Envoy's.
  const controllerTimeoutMs = wholeNumber(env, 'BDK_CONTROLLER_TIMEOUT_MS', 10_000, 1, 25_000, 'milliseconds');
  // Senders retry for hours, so a window much wider than their clock skew only widens what a replay can reuse.
  const timestampToleranceSeconds = wholeNumber(env, 'BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS', 300, 1, 3_600, 'seconds');
  // Long enough that a burst to one source costs one controller call; short enough that a new instance or a
  // revoked secret takes effect within seconds. 0 asks on every webhook.
  const subscriberCacheMs = wholeNumber(env, 'BDK_WEBHOOK_SUBSCRIBER_CACHE_MS', 5_000, 0, 60_000, 'milliseconds');
  return { controllerUrl, controllerTimeoutMs, controllerTokenFile, timestampToleranceSeconds, subscriberCacheMs };
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, unit: string): number {
  const raw = envString(env, name, String(fallback));
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw.trim()) || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number of ${unit} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
