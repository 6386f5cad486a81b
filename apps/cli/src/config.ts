// Where the CLI finds the gateway and its bearer token: --server/--token, then BDK_SERVER/BDK_TOKEN, then the
// config file `bdk login` writes ($XDG_CONFIG_HOME/bdk/config.json), then the local stack's gateway.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from './errors.js';

export const defaultServer = 'http://127.0.0.1:8080';

export interface CliConfig {
  server?: string;
  token?: string;
}

export interface Connection {
  server: string;
  token?: string;
}

export function configFilePath(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_CONFIG_HOME'] || path.join(env['HOME'] || homedir(), '.config');
  return path.join(base, 'bdk', 'config.json');
}

/** The saved config; {} when there is none yet. */
export async function readConfig(file: string): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file}: not JSON (${(error as Error).message}); run bdk login again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${file}: expected a JSON object`);
  const config: CliConfig = {};
  for (const key of ['server', 'token'] as const) {
    const value = (parsed as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new CliError(`${file}: ${key}: expected a string`);
    config[key] = value;
  }
  return config;
}

/** Saves the config readable by its owner only (it holds a bearer token), replacing the file in one step. */
export async function writeConfig(file: string, config: CliConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** The gateway's base URL without a trailing slash; a CliError naming `field` when it is not an http(s) URL. */
export function normalizeServer(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${field}: not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${field}: must be an http:// or https:// URL, got "${value}"`);
  return url.href.replace(/\/+$/, '');
}

export function resolveConnection(flags: CliConfig, env: NodeJS.ProcessEnv, saved: CliConfig): Connection {
  const [server, field] = flags.server
    ? [flags.server, '--server']
    : env['BDK_SERVER']
      ? [env['BDK_SERVER'], 'BDK_SERVER']
      : saved.server
        ? [saved.server, 'server in the config file']
        : [defaultServer, 'server'];
  const token = flags.token || env['BDK_TOKEN'] || saved.token || undefined;
  return token ? { server: normalizeServer(server, field), token } : { server: normalizeServer(server, field) };
}
