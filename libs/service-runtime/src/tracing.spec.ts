import { describe, expect, it } from '@jest/globals';
import { otlpTracesUrl, startTracing } from './tracing.js';

describe('otlpTracesUrl', () => {
  it('is the traces endpoint as given, else /v1/traces under the base endpoint, else none', () => {
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' })).toBe('http://c:4318/custom');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp' })).toBe('http://collector:4318/otlp/v1/traces');
    expect(otlpTracesUrl({})).toBeUndefined();
  });
});

describe('startTracing', () => {
  it('records nothing without an endpoint, or with the SDK disabled', async () => {
    for (const env of [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }]) {
      const tracing = startTracing({ serviceName: 's', env });
      expect(tracing.endpoint).toBeUndefined();
      await tracing.shutdown();
    }
  });

  it('refuses a batch delay that is not a number of milliseconds', () => {
    expect(() => startTracing({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_BSP_SCHEDULE_DELAY: 'soon' } })).toThrow(/OTEL_BSP_SCHEDULE_DELAY/);
  });
});
