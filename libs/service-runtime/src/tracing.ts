// OpenTelemetry in every BDK process. W3C trace context (traceparent, tracestate) is always read from incoming calls
// and written to outgoing ones, so a trace begun by Envoy or a caller passes through a process that exports nothing.
// Spans are recorded and exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; the exporter also reads the other OTEL_EXPORTER_OTLP_* variables
// (headers, timeout, compression); OTEL_BSP_SCHEDULE_DELAY (milliseconds, 5000 by default) is how long finished
// spans wait to be sent in one batch.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { envWholeNumber } from './config.js';
import type { Logger } from './logger.js';

export interface TracingOptions {
  /** `service.name` of every span, unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Where finished spans go instead of the OTLP exporter (tests). */
  spanProcessor?: SpanProcessor;
}

export interface Tracing {
  /** Where spans are exported, or undefined when they are not recorded. */
  readonly endpoint: string | undefined;
  /** Exports the spans still buffered, then stops recording. */
  shutdown(): Promise<void>;
}

let propagationInstalled = false;

/**
 * The W3C propagator and an AsyncLocalStorage context manager, once per process: the active span follows each
 * request through its awaits, and trace context crosses process boundaries, whether or not spans are exported.
 */
export function installTracePropagation(): void {
  if (propagationInstalled) return;
  propagationInstalled = true;
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** The OTLP/HTTP traces URL the environment names, if any. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** Installs propagation and, when an OTLP endpoint is configured (or a processor given), records spans. */
export function startTracing(options: TracingOptions): Tracing {
  installTracePropagation();
  const env = options.env ?? process.env;
  const endpoint = otlpTracesUrl(env);
  if (endpoint === undefined && options.spanProcessor === undefined) return { endpoint: undefined, shutdown: async () => undefined };
  if (env['OTEL_SDK_DISABLED'] === 'true') return { endpoint: undefined, shutdown: async () => undefined };
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] || options.serviceName }),
    spanProcessors: [
      options.spanProcessor ??
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: endpoint }), scheduledDelayMillis: envWholeNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', 5_000, { min: 1, max: 600_000, unit: 'milliseconds' }) }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  options.logger?.info('exporting traces over OTLP/HTTP', { endpoint: endpoint ?? 'a test span processor' });
  return {
    endpoint,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
    },
  };
}
