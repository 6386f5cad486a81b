/**
 * Structured JSON logs, one object per line. Secrets never reach them: see `redact`. A line written while a request
 * is served carries its `request_id` and `trace_id` (request-context.ts).
 */
import { requestLogFields } from './request-context.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Field names whose values are secret wherever they appear, at any depth.
const secretKey = /(secret|token|password|passwd|credential|api[_-]?key|authorization|signature|^value$)/i;

/** Replaces secret-looking fields with "[REDACTED]"; errors become {name, message, stack}. */
export function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, secretKey.test(key) ? '[REDACTED]' : redact(v, depth + 1)]),
  );
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const threshold = order[options.level ?? parseLevel(process.env['LOG_LEVEL'])];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const make = (bound: LogFields): Logger => {
    const log = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
      if (order[level] < threshold) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, component, msg: message, ...(redact({ ...requestLogFields(), ...bound, ...fields }) as LogFields) }));
    };
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}

function parseLevel(level: string | undefined): LogLevel {
  return level && level in order ? (level as LogLevel) : 'info';
}
