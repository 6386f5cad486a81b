import { describe, expect, it } from '@jest/globals';
import { runCli } from '../test/support/run-cli.js';
import { ApiError, CliError } from './errors.js';
import { ExitCode } from './program.js';

const failing = (error: Error) => (program: import('commander').Command) => {
  program.command('fail').action(() => {
    throw error;
  });
};

describe('runProgram', () => {
  it('exits 0 after help, 1 for a usage error, with commander naming the problem', async () => {
    const help = await runCli([], ['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: bdk [options]');
    const unknown = await runCli([], ['--colour'], {});
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: "error: unknown option '--colour'\n(run with --help for usage)\n" });
    const output = await runCli([], ['-o', 'xml'], {});
    expect(output.stderr).toContain("option '-o, --output <format>' argument 'xml' is invalid. must be one of table, json, yaml");
  });

  it("prints a command's error on stderr without a stack and exits with its code", async () => {
    expect(await runCli([failing(new CliError('-f x.yaml: no such file'))], ['fail'], {})).toEqual({ code: 1, stdout: '', stderr: 'Error: -f x.yaml: no such file\n' });
    expect(await runCli([failing(new ExitCode(2))], ['fail'], {})).toEqual({ code: 2, stdout: '', stderr: '' });
    expect(await runCli([failing(new TypeError('boom'))], ['fail'], {})).toEqual({ code: 1, stdout: '', stderr: 'Error: boom\n' });
  });
});

describe('ApiError', () => {
  it('names the HTTP status, the gRPC code, and each field the message does not name already', () => {
    const error = new ApiError(422, 3, 'the payload does not match the book', [
      { field: 'ticket.id', description: 'must be a string' },
      { field: 'timestamp', description: 'is required' },
    ]);
    expect(error.message).toBe('HTTP 422 INVALID_ARGUMENT: the payload does not match the book\n  ticket.id: must be a string\n  timestamp: is required');
    expect(new ApiError(400, 3, 'version: is required', [{ field: 'version', description: 'is required' }]).message).toBe('HTTP 400 INVALID_ARGUMENT: version: is required');
    expect(new ApiError(502, undefined, 'upstream connect error').message).toBe('HTTP 502: upstream connect error');
  });
});
