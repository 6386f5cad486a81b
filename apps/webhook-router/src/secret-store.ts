// The webhook signing secrets, read once at start-up. In a cluster the chart maps a Secret's keys to
// BDK_WEBHOOK_SECRET_<SOURCE> env vars, so the environment is the one interface; values stay inside this module
// (closures, no enumerable fields) so that logging the store by mistake prints nothing secret.
import { ConfigError } from '@bdk/service-runtime';
import { secretEnvName, secretEnvPrefix, sourceProblem } from './webhook-source.js';

export const unsignedSourcesEnv = 'BDK_WEBHOOK_UNSIGNED_SOURCES';

export interface WebhookSecrets {
  /** The source's HMAC key, or undefined when it has none. */
  secretFor(source: string): Buffer | undefined;
  /** Whether the operator accepts this source's webhooks without a signature. */
  acceptsUnsigned(source: string): boolean;
  /** Whether the source has a secret or is accepted unsigned; anything else is a stranger. */
  isConfigured(source: string): boolean;
  /** What is configured, for the start-up log: source names only. */
  summary(): { signed: string[]; unsigned: string[] };
}

export function readWebhookSecrets(env: NodeJS.ProcessEnv): WebhookSecrets {
  const secrets = new Map<string, Buffer>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(secretEnvPrefix) || name === secretEnvPrefix) continue;
    // An empty key would make every signature forgeable: refuse to start rather than accept it.
    if (value === undefined || value === '') throw new ConfigError(`${name} is empty: a webhook secret must not be empty`);
    secrets.set(name, Buffer.from(value, 'utf8'));
  }

  const unsigned = new Set<string>();
  for (const entry of (env[unsignedSourcesEnv] ?? '').split(',')) {
    const source = entry.trim();
    if (source === '') continue;
    const problem = sourceProblem(source);
    if (problem) throw new ConfigError(`${unsignedSourcesEnv}: "${source}" ${problem}`);
    // Both would be ambiguous: is the signature required or not? Make the operator choose.
    if (secrets.has(secretEnvName(source))) {
      throw new ConfigError(`${unsignedSourcesEnv} lists "${source}", which also has ${secretEnvName(source)}: configure one or the other`);
    }
    unsigned.add(source);
  }

  return {
    secretFor: (source) => secrets.get(secretEnvName(source)),
    acceptsUnsigned: (source) => unsigned.has(source),
    isConfigured: (source) => unsigned.has(source) || secrets.has(secretEnvName(source)),
    summary: () => ({
      // The env name is all that is known of a signed source; `_` may have been `-`.
      signed: [...secrets.keys()].map((name) => name.slice(secretEnvPrefix.length).toLowerCase().replace(/_/g, '-')).sort(),
      unsigned: [...unsigned].sort(),
    }),
  };
}
