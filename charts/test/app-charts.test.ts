// What the three app charts share, read from their rendered objects: the pod the apps' env contract expects
// (ports, probes, env, a non-root read-only container), the Envoy sidecar exactly where the REST API needs it with
// the config and descriptor from their one source, the Service, and least-privilege RBAC bound to the pod's
// ServiceAccount; the router, which never calls the Kubernetes API, gets no RBAC and no API token at all.
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { descriptorSetPath, toolchainVersions, workspaceRoot } from '@bdk/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { appCharts, assertGenerated, chartPath, render, renderError, sidecarCharts, type AppChart, type Rendered } from './helm.js';
import { fullCrud, grant, permissions, wildcards } from './rbac.js';

beforeAll(() => assertGenerated());

const namespace = 'bdk-system';

function appVersion(chart: AppChart): string {
  return (parse(readFileSync(path.join(chartPath(chart), 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;
}

function container(deployment: V1Deployment, name: string): V1Container {
  const found = deployment.spec?.template.spec?.containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} in ${deployment.metadata?.name}`);
  return found;
}

function env(c: V1Container): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
}

/** The apps that call the Kubernetes API, and so get an API token in their pods. */
const apiClients: readonly AppChart[] = ['library-service', 'book-controller'];

/** Role and ClusterRole permissions exactly as each app's design needs them. */
const expectedPermissions: Record<AppChart, { Role: string[]; ClusterRole: string[] }> = {
  // Nothing on Secrets and no namespace creation: the book-controller writes into customer namespaces for it.
  'library-service': {
    Role: grant('bdk.voyager.io', ['bookdefinitions', 'bookinstancedefinitions'], fullCrud),
    ClusterRole: grant('', ['namespaces'], ['get']),
  },
  'book-controller': {
    Role: [
      ...grant('bdk.voyager.io', ['bookinstancedefinitions'], ['get', 'list', 'watch', 'update', 'patch']),
      ...grant('bdk.voyager.io', ['bookinstancedefinitions/status'], ['get', 'update', 'patch']),
      ...grant('bdk.voyager.io', ['bookinstancedefinitions/finalizers'], ['update']),
      ...grant('bdk.voyager.io', ['bookdefinitions'], ['get', 'list', 'watch', 'patch']),
      ...grant('bdk.voyager.io', ['bookdefinitions/status'], ['get', 'patch']),
      ...grant('bdk.voyager.io', ['bookdefinitions/finalizers'], ['update']),
      ...grant('coordination.k8s.io', ['leases'], ['get', 'create', 'update', 'patch']),
      ...grant('', ['events'], ['create', 'patch']),
      ...grant('events.k8s.io', ['events'], ['create', 'patch']),
    ],
    ClusterRole: [
      ...grant('apps', ['deployments'], fullCrud),
      ...grant('', ['services', 'configmaps', 'secrets', 'resourcequotas', 'limitranges'], fullCrud),
      ...grant('autoscaling', ['horizontalpodautoscalers'], fullCrud),
      ...grant('networking.k8s.io', ['networkpolicies'], fullCrud),
      ...grant('bdk.voyager.io', ['externalbookdefinitions'], fullCrud),
      // What the Deployments make is read, never written: rollout health and rollback.
      ...grant('', ['pods'], ['get', 'list', 'watch']),
      ...grant('apps', ['replicasets'], ['get', 'list', 'watch']),
      ...grant('', ['namespaces'], ['get', 'list', 'watch', 'create', 'update', 'patch']),
      ...grant('authentication.k8s.io', ['tokenreviews'], ['create']),
    ],
  },
  'webhook-router': { Role: [], ClusterRole: [] },
};

describe.each(appCharts)('%s', (chart) => {
  let rendered: Rendered;
  let deployment: V1Deployment;
  let app: V1Container;
  const fullname = `bdk-${chart}`;

  beforeAll(async () => {
    rendered = await render(chart, { release: 'bdk', namespace });
    deployment = rendered.one<V1Deployment>('Deployment', fullname);
    app = container(deployment, chart);
  });

  describe('app container', () => {
    it('runs the chart appVersion of ghcr.io/voyager/bdk-<app>, or a pinned digest', async () => {
      expect(app.image).toBe(`ghcr.io/voyager/bdk-${chart}:${appVersion(chart)}`);
      const digest = `sha256:${'ab'.repeat(32)}`;
      const pinned = await render(chart, { set: { 'image.digest': digest, 'image.tag': 'ignored' } });
      expect(container(pinned.one<V1Deployment>('Deployment'), chart).image).toBe(`ghcr.io/voyager/bdk-${chart}@${digest}`);
    });

    it('listens for gRPC on 9090 and serves health and metrics on 9464', () => {
      expect(app.ports).toEqual([
        { name: 'grpc', containerPort: 9090, protocol: 'TCP' },
        { name: 'admin', containerPort: 9464, protocol: 'TCP' },
      ]);
      expect(app.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
      expect(app.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'admin' });
      expect(app.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    });

    it('gets the shared env contract, with BDK_NAMESPACE the release namespace and no KUBECONFIG', () => {
      expect(env(app)).toMatchObject({ GRPC_HOST: '0.0.0.0', GRPC_PORT: '9090', ADMIN_PORT: '9464', BDK_NAMESPACE: namespace, LOG_LEVEL: 'info' });
      expect(env(app)).not.toHaveProperty('KUBECONFIG');
    });

    it(apiClients.includes(chart) ? 'gets a Kubernetes API token, to call the API' : 'gets no Kubernetes API token: it never calls the API', () => {
      const calls = apiClients.includes(chart);
      expect(deployment.spec?.template.spec?.automountServiceAccountToken).toBe(calls);
      expect(rendered.one<V1ServiceAccount>('ServiceAccount').automountServiceAccountToken).toBe(calls);
    });

    it('runs as a non-root user with a read-only root filesystem and no capabilities', () => {
      const pod = deployment.spec?.template.spec;
      expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of pod?.containers ?? []) {
        expect([c.name, c.securityContext]).toEqual([
          c.name,
          expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
        ]);
        expect([c.name, c.resources?.requests, c.resources?.limits?.['memory']]).toEqual([c.name, expect.any(Object), expect.any(String)]);
      }
      // The writable places the app gets: /tmp, and the router's deliveries volume; everything else is read-only.
      const writable = [{ name: 'tmp', mountPath: '/tmp' }, ...(chart === 'webhook-router' ? [{ name: 'deliveries', mountPath: '/var/lib/bdk/webhook-router' }] : [])];
      expect((app.volumeMounts ?? []).filter((m) => m.readOnly !== true)).toEqual(writable);
    });

    it('runs as its own ServiceAccount', () => {
      const account = rendered.one<V1ServiceAccount>('ServiceAccount');
      expect(deployment.spec?.template.spec?.serviceAccountName).toBe(account.metadata.name);
      expect(account.metadata.name).toBe(fullname);
    });
  });

  describe('Service', () => {
    it('exposes grpc 9090, metrics 9464, and http 8080 where the Envoy sidecar serves REST', () => {
      const service = rendered.one<V1Service>('Service', fullname);
      const ports = (service.spec?.ports ?? []).map((p) => [p.name, p.port, p.targetPort]);
      const expected = [
        ['grpc', 9090, 'grpc'],
        ...(sidecarCharts.includes(chart) ? [['http', 8080, 'http']] : []),
        ['metrics', 9464, 'admin'],
      ];
      expect(ports).toEqual(expected);
    });

    it('selects the pods and targets ports they declare', () => {
      const service = rendered.one<V1Service>('Service', fullname);
      const podLabels = deployment.spec?.template.metadata?.labels ?? {};
      expect(podLabels).toMatchObject(service.spec?.selector ?? { missing: 'selector' });
      expect(deployment.spec?.selector.matchLabels).toEqual(service.spec?.selector);
      const declared = (deployment.spec?.template.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const port of service.spec?.ports ?? []) expect(declared).toContain(port.targetPort);
    });
  });

  describe('Envoy sidecar', () => {
    const hasSidecar = sidecarCharts.includes(chart);

    it(hasSidecar ? 'is in the pod, at the pinned Envoy version, serving http on 8080' : 'is absent: nothing serves REST here', () => {
      const names = (deployment.spec?.template.spec?.containers ?? []).map((c) => c.name);
      if (!hasSidecar) {
        expect(names).toEqual([chart]);
        expect(rendered.all<V1ConfigMap>('ConfigMap')).toEqual([]);
        return;
      }
      expect(names).toEqual([chart, 'envoy']);
      const envoy = container(deployment, 'envoy');
      expect(envoy.image).toBe(`envoyproxy/envoy:v${toolchainVersions()['ENVOY_VERSION']}`);
      expect(envoy.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      expect(envoy.readinessProbe?.tcpSocket).toEqual({ port: 'http' });
    });

    if (!hasSidecar) return;

    it('gets envoy/sidecar.yaml and the generated descriptor set, byte for byte, from the ConfigMap', async () => {
      // The router's sidecar adds its edge rate limit (on by default); without it the file is the same.
      const plain = chart === 'webhook-router' ? await render(chart, { release: 'bdk', namespace, set: { 'rateLimits.edge.enabled': false } }) : rendered;
      const configMap = plain.one<V1ConfigMap>('ConfigMap', `${fullname}-envoy`);
      expect(configMap.data?.['envoy.yaml']).toBe(readFileSync(path.join(workspaceRoot, 'envoy', 'sidecar.yaml'), 'utf8'));
      const descriptor = Buffer.from(configMap.binaryData?.['bdk.binpb'] ?? '', 'base64');
      expect(descriptor.equals(readFileSync(descriptorSetPath()))).toBe(true);
    });

    if (chart === 'webhook-router') {
      it('adds to envoy/sidecar.yaml only the edge rate limit: a first HTTP filter and its 429 reply', () => {
        type Hcm = { http_filters: { name: string }[]; local_reply_config: { mappers: { filter: unknown }[] } };
        const hcm = (text: string) => {
          const config = parse(text) as { static_resources: { listeners: { filter_chains: { filters: { typed_config: Hcm }[] }[] }[] } };
          return config.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config as Hcm;
        };
        const withLimit = hcm(rendered.one<V1ConfigMap>('ConfigMap', `${fullname}-envoy`).data?.['envoy.yaml'] ?? '');
        const sidecar = hcm(readFileSync(path.join(workspaceRoot, 'envoy', 'sidecar.yaml'), 'utf8'));
        expect(withLimit.http_filters.map((f) => f.name)).toEqual(['envoy.filters.http.local_ratelimit', ...sidecar.http_filters.map((f) => f.name)]);
        expect(withLimit.http_filters.slice(1)).toEqual(sidecar.http_filters);
        expect(JSON.stringify(withLimit.local_reply_config.mappers[0])).toContain('"default_value":429');
        expect(withLimit.local_reply_config.mappers.slice(1)).toEqual(sidecar.local_reply_config.mappers);
      });
    }

    it('mounts them where Envoy is told to read them', () => {
      const envoy = container(deployment, 'envoy');
      const configMap = rendered.one<V1ConfigMap>('ConfigMap', `${fullname}-envoy`);
      const volumes = deployment.spec?.template.spec?.volumes ?? [];
      /** Where a ConfigMap key appears in the Envoy container's filesystem. */
      const mountedAt = (key: string) => {
        const volume = volumes.find((v) => v.configMap?.name === configMap.metadata.name && v.configMap.items?.some((i) => i.key === key));
        const item = volume?.configMap?.items?.find((i) => i.key === key);
        const mount = envoy.volumeMounts?.find((m) => m.name === volume?.name);
        return mount && item ? path.posix.join(mount.mountPath, item.path) : `${key} not mounted`;
      };
      const args = envoy.args ?? [];
      expect(args[args.indexOf('--config-path') + 1]).toBe(mountedAt('envoy.yaml'));
      const transcoder = JSON.stringify(parse(configMap.data?.['envoy.yaml'] ?? ''));
      const descriptorPath = /"proto_descriptor":"([^"]+)"/.exec(transcoder)?.[1];
      expect(descriptorPath).toBe(mountedAt('bdk.binpb'));
    });

    it('rolls the pods when the Envoy config changes', async () => {
      const checksum = (d: V1Deployment) => d.spec?.template.metadata?.annotations?.['checksum/envoy-config'];
      expect(checksum(deployment)).toMatch(/^[a-f0-9]{64}$/);
      const renamed = await render(chart, { release: 'other', namespace });
      expect(checksum(renamed.one<V1Deployment>('Deployment'))).not.toBe(checksum(deployment));
    });
  });

  describe('RBAC', () => {
    it('grants exactly the permissions the app needs, in the release namespace and cluster-wide', () => {
      const roles = rendered.all<V1Role>('Role');
      const clusterRoles = rendered.all<V1ClusterRole>('ClusterRole');
      expect(roles.map((r) => r.metadata.namespace)).toEqual(expectedPermissions[chart].Role.length > 0 ? [namespace] : []);
      expect(permissions(roles[0]?.rules)).toEqual([...expectedPermissions[chart].Role].sort());
      expect(permissions(clusterRoles.flatMap((r) => r.rules ?? []))).toEqual([...expectedPermissions[chart].ClusterRole].sort());
    });

    it('has no wildcard verb, resource or group, and no non-resource URL', () => {
      for (const role of [...rendered.all<V1Role>('Role'), ...rendered.all<V1ClusterRole>('ClusterRole')]) {
        expect([role.metadata.name, wildcards(role.rules)]).toEqual([role.metadata.name, []]);
      }
    });

    it('binds each role to the pod ServiceAccount only, cluster roles under a name that includes the namespace', () => {
      const bindings = [...rendered.all<V1RoleBinding>('RoleBinding'), ...rendered.all<V1ClusterRoleBinding>('ClusterRoleBinding')];
      const roles = [...rendered.all<V1Role>('Role'), ...rendered.all<V1ClusterRole>('ClusterRole')];
      expect(bindings.map((b) => `${b.roleRef.kind}/${b.roleRef.name}`).sort()).toEqual(roles.map((r) => `${r.kind}/${r.metadata.name}`).sort());
      for (const binding of bindings) {
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: fullname, namespace }]);
      }
      for (const role of rendered.all<V1ClusterRole>('ClusterRole')) expect(role.metadata.name).toBe(`${namespace}-${fullname}`);
    });

    it('can be left to the operator: rbac.create=false, an existing ServiceAccount', async () => {
      // The router has no RBAC to leave out, and no rbac value.
      const rbacOff = chart === 'webhook-router' ? {} : { 'rbac.create': false };
      const without = await render(chart, { set: { ...rbacOff, serviceAccount: { create: false, name: 'platform-sa', annotations: {} } } });
      expect(without.objects.map((o) => o.kind).filter((k) => /Role|ServiceAccount/.test(k))).toEqual([]);
      expect(without.one<V1Deployment>('Deployment').spec?.template.spec?.serviceAccountName).toBe('platform-sa');
      expect(await renderError(chart, { set: { 'serviceAccount.create': false } })).toMatch(/serviceAccount\.name is required/);
    });
  });

  describe('names', () => {
    it('stay within 63 characters, and apart, for the longest release name Helm accepts', async () => {
      const release = 'r'.repeat(53);
      const long = await render(chart, { release, namespace });
      for (const object of long.objects) {
        // DNS-label names (Services) and label values are limited to 63; other names may be longer.
        if (object.kind === 'Service') expect(object.metadata.name.length).toBeLessThanOrEqual(63);
        for (const value of Object.values(object.metadata.labels ?? {})) expect(value.length).toBeLessThanOrEqual(63);
      }
      expect(long.one<V1Service>('Service').metadata.name).toBe(`${release}-${chart}`.slice(0, 63).replace(/-+$/, ''));
    });

    it('use the release name alone when it already names the app, or fullnameOverride', async () => {
      expect((await render(chart, { release: `prod-${chart}` })).one<V1Service>('Service').metadata.name).toBe(`prod-${chart}`);
      expect((await render(chart, { set: { fullnameOverride: 'books' } })).one<V1Service>('Service').metadata.name).toBe('books');
    });
  });
});
