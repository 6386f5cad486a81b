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
