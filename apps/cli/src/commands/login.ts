// `bdk login` / `bdk logout`: the gateway URL and bearer token later commands use, saved in the config file.
import type { Command } from 'commander';
import { configFilePath, defaultServer, normalizeServer, readConfig, writeConfig } from '../config.js';
import { ApiError, CliError } from '../errors.js';
import { GatewayClient } from '../gateway-client.js';
import { contextOf } from '../program.js';

/** The claims worth showing of a JWT, read without verifying it (the gateway verifies). */
export function describeToken(token: string): string {
  const payload = token.split('.')[1];
  if (!payload) return 'a token that is not a JWT';
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const parts = [typeof claims['sub'] === 'string' ? claims['sub'] : 'an unnamed subject'];
    if (typeof claims['org_id'] === 'string') parts.push(`of organisation ${claims['org_id']}`);
    if (typeof claims['exp'] === 'number') parts.push(`until ${new Date(claims['exp'] * 1000).toISOString()}`);
    return parts.join(' ');
  } catch {
    return 'a token that is not a JWT';
  }
}

export function registerLoginCommands(program: Command): void {
  program
    .command('login')
    .description('check a bearer token against the gateway and save it with the gateway URL (the global --token and --server; the token may come on stdin)')
    .option('--no-verify', 'save without asking the gateway')
    .action(async (options: { verify: boolean }, command: Command) => {
      const context = contextOf(command);
      const globals = command.optsWithGlobals<{ server?: string; token?: string }>();
      const file = configFilePath(context.environment.env);
      const saved = await readConfig(file);
      const token = (globals.token ?? (await context.environment.readStdin()) ?? '').trim();
      if (!token) throw new CliError('--token: required (or pipe the token on stdin)');
      const server = normalizeServer(globals.server ?? context.environment.env['BDK_SERVER'] ?? saved.server ?? defaultServer, '--server');
      if (options.verify) {
        try {
          await new GatewayClient({ server, token }, context.environment.fetch).request('GET', '/api/v1/books', { query: { page_size: 1 } });
        } catch (error) {
          // A token without books:read is still a token of this gateway.
          if (!(error instanceof ApiError && error.httpStatus === 403)) throw error;
        }
      }
      await writeConfig(file, { ...saved, server, token });
      context.print(`Logged in to ${server} as ${describeToken(token)}; saved in ${file}\n`);
    });

  program
    .command('logout')
    .description('forget the saved token')
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command);
      const file = configFilePath(context.environment.env);
      const { token: _token, ...rest } = await readConfig(file);
      await writeConfig(file, rest);
      context.print(`Logged out; ${file} keeps no token\n`);
    });
}
