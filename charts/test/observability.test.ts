// The umbrella's monitoring objects: none by default; with monitoring.*.enabled a ServiceMonitor on the apps' metrics
// ports, a Grafana dashboard ConfigMap and a PrometheusRule whose rules the real promtool (toolchain) accepts and
// whose queue-age alert fires, in promtool's rule unit test, exactly when the oldest owed webhook stays too old; and
// in each REST sidecar, with envoy.tracing.otlpEndpoint, Envoy's OpenTelemetry tracer, in a config the real Envoy accepts.
import type { V1ConfigMap, V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { descriptorSetPath, toolPath } from '@bdk/testing';
import { assertGenerated, render, renderError, sidecarCharts, type Manifest, type Rendered } from './helm.js';

beforeAll(() => assertGenerated());

const monitoringKinds = ['ServiceMonitor', 'PrometheusRule'];
const allOn = { 'monitoring.serviceMonitor.enabled': true, 'monitoring.prometheusRule.enabled': true, 'monitoring.dashboard.enabled': true };

interface RuleGroups {
  groups: { name: string; rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string> }[] }[];
}
type PrometheusRule = Manifest & { spec: RuleGroups };
type ServiceMonitor = Manifest & {
  spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; path: string; interval: string }[] };
};

function promtool(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(toolPath('promtool'), args, { cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
    });
  });
}

describe('monitoring in the bdk chart', () => {
  let rendered: Rendered;
  let dir = '';

  beforeAll(async () => {
    rendered = await render('bdk', { release: 'prod', set: { ...allOn, 'monitoring.prometheusRule.labels': { release: 'kube-prometheus-stack' } } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-promtool-'));
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders none of it by default', async () => {
    const plain = await render('bdk');
    expect(plain.objects.filter((o) => monitoringKinds.includes(o.kind)).map((o) => o.kind)).toEqual([]);
    expect(plain.all<V1ConfigMap>('ConfigMap').filter((c) => c.metadata.labels?.['grafana_dashboard'])).toEqual([]);
  });

  it('has the ServiceMonitor scrape the metrics port of each of the three apps, and nothing else of the release', () => {
    const monitor = rendered.one<ServiceMonitor>('ServiceMonitor');
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['bdk'] });
    const selected = rendered
      .all<V1Service>('Service')
      .filter((service) => Object.entries(monitor.spec.selector.matchLabels).every(([key, value]) => service.metadata.labels?.[key] === value))
      .filter((service) => service.spec?.ports?.some((port) => port.name === 'metrics'));
    expect(selected.map((service) => service.metadata.labels?.['app.kubernetes.io/name']).sort()).toEqual(['book-controller', 'library-service', 'webhook-router']);
    for (const service of selected) expect(service.spec?.ports?.find((port) => port.name === 'metrics')?.targetPort).toBe('admin');
  });

  it('ships the dashboard as JSON in a ConfigMap with the grafana_dashboard label', () => {
    const configMap = rendered.all<V1ConfigMap>('ConfigMap').find((c) => c.metadata.labels?.['grafana_dashboard'] === '1');
    expect(configMap?.metadata.name).toBe('prod-bdk-dashboard');
    const dashboard = JSON.parse(configMap?.data?.['bdk.json'] ?? '') as { uid: string; panels: { type: string; targets?: { expr: string; legendFormat: string }[] }[] };
    expect(dashboard.uid).toBe('bdk-overview');
    const targets = dashboard.panels.flatMap((panel) => panel.targets ?? []);
    expect(targets.length).toBeGreaterThan(15);
    // Grafana's own {{label}} legends survive Helm's templating.
    expect(targets.map((t) => t.legendFormat)).toContain('{{outcome}}');
  });

  it('refuses a threshold of the wrong kind', async () => {
    expect(await renderError('bdk', { set: { 'monitoring.prometheusRule.queueAgeSeconds': 'soon' } })).toMatch(/queueAgeSeconds/);
  });

  it('passes promtool check rules, with the four alerts and the labels asked for', async () => {
    const rule = rendered.one<PrometheusRule>('PrometheusRule');
    expect(rule.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    expect(rule.spec.groups.flatMap((group) => group.rules.map((r) => r.alert)).sort()).toEqual([
      'BDKReconcileErrors',
      'BDKWebhookDeadLettersGrowing',
      'BDKWebhookQueueStalled',
      'BDKWebhookServerErrors',
    ]);
    await writeFile(path.join(dir, 'rules.yaml'), stringify(rule.spec));
    const checked = await promtool(['check', 'rules', 'rules.yaml'], dir);
    expect(checked).toMatchObject({ code: 0, output: expect.stringContaining('SUCCESS: 4 rules found') as unknown });
  });

  it('fires BDKWebhookQueueStalled once the oldest owed webhook stays older than the threshold for 10 minutes, and not before (promtool test rules)', async () => {
    await writeFile(path.join(dir, 'rules.yaml'), stringify(rendered.one<PrometheusRule>('PrometheusRule').spec));
    // Sampled each minute: young for 5 minutes, then aging one minute a minute from 1,000 s (over the 900 s threshold).
    const aging = '60+0x5 1000+60x30';
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [{ series: 'bdk_webhook_queue_oldest_age_seconds{pod="router-0"}', values: aging }],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'BDKWebhookQueueStalled', exp_alerts: [] },
            // Over the threshold since minute 6: pending, not firing, 9 minutes later.
            { eval_time: '15m', alertname: 'BDKWebhookQueueStalled', exp_alerts: [] },
            {
              eval_time: '16m',
              alertname: 'BDKWebhookQueueStalled',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning' },
                  exp_annotations: { summary: 'Owed webhooks are getting old', description: 'The oldest undelivered webhook is 26m 40s old.' },
                },
              ],
            },
          ],
        },
      ],
    };
    await writeFile(path.join(dir, 'rules.test.yaml'), stringify(tests));
    const tested = await promtool(['test', 'rules', 'rules.test.yaml'], dir);
    expect(tested).toMatchObject({ code: 0, output: expect.stringContaining('SUCCESS') as unknown });
  });
});

interface EnvoyConfig {
  static_resources: {
    listeners: { filter_chains: { filters: { typed_config: { tracing?: { provider: { name: string; typed_config: Record<string, unknown> } } } }[] }[] }[];
    clusters: { name: string; load_assignment: unknown }[];
  };
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) => resolve({ code: error ? 1 : 0, output: stdout + stderr }));
  });
}

describe.each(sidecarCharts)('tracing in the %s sidecar', (chart) => {
  async function sidecarConfig(set: Record<string, unknown>): Promise<{ text: string; config: EnvoyConfig }> {
    const configMap = (await render(chart, { set })).all<V1ConfigMap>('ConfigMap').find((c) => c.metadata.name.endsWith('-envoy'));
    const text = configMap?.data?.['envoy.yaml'] ?? '';
    return { text, config: parse(text) as EnvoyConfig };
  }

  it('is off by default: the caller\u2019s traceparent and x-request-id pass through untouched', async () => {
    const { config } = await sidecarConfig({});
    expect(config.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config.tracing).toBeUndefined();
    expect(config.static_resources.clusters.map((c) => c.name)).toEqual(['app_grpc']);
  });

  it('exports each request\u2019s span to the collector named, in a config the real Envoy accepts', async () => {
    const { text, config } = await sidecarConfig({ 'envoy.tracing.otlpEndpoint': 'http://otel-collector.monitoring:4318/' });
    expect(config.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config.tracing?.provider).toEqual({
      name: 'envoy.tracers.opentelemetry',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
        service_name: `${chart}-envoy`,
        http_service: { http_uri: { uri: 'http://otel-collector.monitoring:4318/v1/traces', cluster: 'opentelemetry_collector', timeout: '2s' } },
      },
    });
    expect(config.static_resources.clusters.find((c) => c.name === 'opentelemetry_collector')?.load_assignment).toEqual({
      cluster_name: 'opentelemetry_collector',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'otel-collector.monitoring', port_value: 4318 } } } }] }],
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-envoy-tracing-'));
    try {
      const file = path.join(dir, 'envoy.yaml');
      await writeFile(file, text.replaceAll('/etc/bdk/proto/bdk.binpb', descriptorSetPath()));
      const validated = await run(toolPath('envoy'), ['--mode', 'validate', '-c', file, '--disable-hot-restart']);
      expect(validated).toMatchObject({ code: 0, output: expect.stringContaining('OK') as unknown });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses an endpoint that is not an http:// base URL', async () => {
    expect(await renderError(chart, { set: { 'envoy.tracing.otlpEndpoint': 'otel-collector:4318' } })).toMatch(/otlpEndpoint/);
  });
});
