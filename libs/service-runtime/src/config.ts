/** Reading a service's settings from its environment, failing at start-up with the variable named. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function envPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

/** A whole number from `min` to `max` (the `unit` names it in the error), or `fallback` when unset. */
export function envWholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, range: { min: number; max: number; unit: string }): number {
  const raw = envString(env, name, String(fallback));
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw.trim()) || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(`${name} must be a whole number of ${range.unit} from ${range.min} to ${range.max}, got "${raw}"`);
  }
  return value;
}

export function envString(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** Settings every BDK service reads. */
export interface ServiceConfig {
  grpcHost: string;
  grpcPort: number;
  /** Plain HTTP: /metrics, /healthz, /readyz. */
  adminPort: number;
  /** BDK's own namespace, where BookDefinitions and BookInstanceDefinitions live. */
  namespace: string;
}

export function readServiceConfig(env: NodeJS.ProcessEnv): ServiceConfig {
  return {
    grpcHost: envString(env, 'GRPC_HOST', '0.0.0.0'),
    grpcPort: envPort(env, 'GRPC_PORT', 9090),
    adminPort: envPort(env, 'ADMIN_PORT', 9464),
    namespace: envString(env, 'BDK_NAMESPACE', 'bdk'),
  };
}
