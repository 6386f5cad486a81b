import { describe, expect, it } from '@jest/globals';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { createLogger } from './logger.js';
import { currentRequestId, requestLogFields, withRequestId } from './request-context.js';
import { installTracePropagation } from './tracing.js';

installTracePropagation();

const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
const inSpan = <T>(fn: () => T) => context.with(trace.setSpanContext(context.active(), spanContext), fn);

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test', { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('request context', () => {
  it('is empty outside a request', () => {
    expect(currentRequestId()).toBeUndefined();
    expect(requestLogFields()).toEqual({});
  });

  it('follows a request through awaits and timers, and ends with it', async () => {
    const seen = await withRequestId('req-1', () =>
      inSpan(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return requestLogFields();
      }),
    );
    expect(seen).toEqual({ request_id: 'req-1', trace_id: spanContext.traceId, span_id: spanContext.spanId });
    expect(requestLogFields()).toEqual({});
  });

  it('keeps concurrent requests apart', async () => {
    const ids = await Promise.all(
      ['a', 'b', 'c'].map((id, i) =>
        withRequestId(id, async () => {
          await new Promise((resolve) => setTimeout(resolve, 10 - i * 3));
          return currentRequestId();
        }),
      ),
    );
    expect(ids).toEqual(['a', 'b', 'c']);
  });
});

describe('createLogger within a request', () => {
  it('adds request_id and trace_id to every line, a child logger’s too', () => {
    const { logger, lines } = capture();
    withRequestId('req-7', () =>
      inSpan(() => {
        logger.info('webhook accepted', { webhook_id: 'w-1' });
        logger.child({ source: 'zendesk' }).warn('slow');
      }),
    );
    logger.info('outside');
    expect(lines[0]).toMatchObject({ msg: 'webhook accepted', webhook_id: 'w-1', request_id: 'req-7', trace_id: spanContext.traceId, span_id: spanContext.spanId });
    expect(lines[1]).toMatchObject({ msg: 'slow', source: 'zendesk', request_id: 'req-7', trace_id: spanContext.traceId });
    expect(lines[2]).not.toHaveProperty('request_id');
    expect(lines[2]).not.toHaveProperty('trace_id');
  });

  it('leaves out a trace id that is not valid', () => {
    const { logger, lines } = capture();
    context.with(trace.setSpanContext(context.active(), { ...spanContext, traceId: '0'.repeat(32) }), () => logger.info('x'));
    expect(lines[0]).not.toHaveProperty('trace_id');
  });
});
