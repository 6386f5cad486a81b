import { describe, expect, it } from '@jest/globals';
import { createLogger, redact } from './logger.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test', { level, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, component and message', () => {
    const { logger, lines } = capture();
    logger.info('book created', { book_id: 'b-1' });
    expect(lines).toEqual([{ time: expect.any(String), level: 'info', component: 'test', msg: 'book created', book_id: 'b-1' }]);
  });

  it('drops lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.info('quiet');
    logger.error('loud');
    expect(lines.map((l) => l['msg'])).toEqual(['loud']);
  });

  it('carries child fields on every line', () => {
    const { logger, lines } = capture();
    logger.child({ instance: 'bdk/acme' }).warn('retrying');
    expect(lines[0]).toMatchObject({ instance: 'bdk/acme', msg: 'retrying' });
  });

  it('never writes secret values', () => {
    const { logger, lines } = capture();
    logger.info('credentials stored', { credentials: [{ name: 'zendesk_api_key', value: 'hunter2' }], token: 't0k3n' });
    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('t0k3n');
  });
});

describe('redact', () => {
  it('keeps ordinary fields and masks secret-looking keys at any depth', () => {
    expect(redact({ name: 'a', nested: { api_key: 'x', webhookSecret: 'y', list: [{ password: 'z' }] } })).toEqual({
      name: 'a',
      nested: { api_key: '[REDACTED]', webhookSecret: '[REDACTED]', list: [{ password: '[REDACTED]' }] },
    });
  });

  it('turns errors into plain fields', () => {
    expect(redact(new Error('boom'))).toMatchObject({ name: 'Error', message: 'boom' });
  });
});
