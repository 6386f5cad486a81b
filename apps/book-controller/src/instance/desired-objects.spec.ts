import { describe, expect, it } from '@jest/globals';
import { bdkLabels, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { readControllerConfig } from '../config.js';
import { appliedHashAnnotation } from './applied-hash.js';
import {
  credentialsHashAnnotation,
  desiredAutoscaler,
  desiredConfigMap,
  desiredDeployment,
  desiredExternalBook,
  desiredService,
  identify,
} from './desired-objects.js';

const config = readControllerConfig({});
const book: BookDefinition = {
  apiVersion: 'bdk.voyager.io/v1',
  kind: 'BookDefinition',
  metadata: { name: 'customer-support-book', namespace: 'bdk', labels: { [bdkLabels.bookId]: 'book-1' } },
  spec: { name: 'customer-support', version: '1.0.0', integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }] },
};
const instance = (spec: Partial<BookInstanceDefinition['spec']> = {}): BookInstanceDefinition => ({
  apiVersion: 'bdk.voyager.io/v1',
  kind: 'BookInstanceDefinition',
  metadata: { name: 'acme', namespace: 'bdk', labels: { [bdkLabels.instanceId]: '3b4650f8-0000-4000-8000-000000000000' }, generation: 1 },
  spec: {
    bookRef: { name: 'customer-support-book', version: '1.0.0' },
    customer: { namespace: 'customer-acme', organization_id: 'org-1' },
    deployment: { type: 'primary', replicas: 2, resources: { cpu: '500m', memory: '1Gi' } },
    credentials: [{ name: 'zendesk_api_key', secretRef: { name: 'creds', key: 'zendesk_api_key' } }],
    ...spec,
  },
});

describe('identify', () => {
  it('names the workload after the book and the instance id, and records where the instance lives', () => {
    expect(identify(instance(), book)).toEqual({
      instanceId: '3b4650f8-0000-4000-8000-000000000000',
      bookId: 'book-1',
      bookName: 'customer-support',
      customerNamespace: 'customer-acme',
      workloadName: 'customer-support-3b4650f8',
      instanceRef: 'bdk/acme',
      deploymentType: 'primary',
    });
  });
});

describe('desiredDeployment', () => {
  const build = (i: BookInstanceDefinition, credentialsDigest = 'digest-1') => {
    const id = identify(i, book);
    return desiredDeployment(id, i, book, config, { configMap: desiredConfigMap(id, i, book), credentialsDigest, progressDeadlineSeconds: 120 });
  };

  it('runs the book image with the requested replicas, requests, credentials and descriptor', () => {
    const deployment = build(instance());
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.selector).toEqual({ matchLabels: { [bdkLabels.instanceId]: '3b4650f8-0000-4000-8000-000000000000' } });
    const [container] = deployment.spec?.template.spec?.containers ?? [];
    expect(container?.image).toBe('ghcr.io/bdk-books/customer-support:1.0.0');
    expect(container?.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } });
    expect(container?.env).toContainEqual({ name: 'ZENDESK_API_KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'zendesk_api_key' } } });
    expect(deployment.spec?.template.spec?.volumes).toContainEqual({ name: 'book-descriptor', configMap: { name: 'customer-support-3b4650f8' } });
    expect(deployment.spec?.template.spec?.containers).toHaveLength(1);
  });

  it('adds the Tailscale sidecar only when tailscale is enabled', () => {
    const deployment = build(instance({ networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } } }));
    const sidecar = deployment.spec?.template.spec?.containers[1];
    expect(sidecar?.name).toBe('tailscale');
    expect(sidecar?.env).toContainEqual({ name: 'TS_USERSPACE', value: 'true' });
    expect(sidecar?.env?.find((e) => e.name === 'TS_AUTHKEY')?.valueFrom?.secretKeyRef).toMatchObject({ optional: true });
  });

  it('meets Pod Security restricted in every container, the sidecar included, with a writable /tmp only', () => {
    const deployment = build(instance({ networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } } }));
    const pod = deployment.spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod?.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(pod?.automountServiceAccountToken).toBe(false);
    for (const container of pod?.containers ?? []) {
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
      expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    }
    expect(deployment.spec?.template.metadata?.labels?.['bdk.voyager.io/tailscale']).toBe('true');
  });

  it('rolls the pods when a credential value changes: its digest is on the pod template', () => {
    const before = build(instance(), 'digest-1');
    const after = build(instance(), 'digest-2');
    expect(before.spec?.template.metadata?.annotations?.[credentialsHashAnnotation]).toBe('digest-1');
    expect(after.spec?.template.metadata?.annotations?.[credentialsHashAnnotation]).toBe('digest-2');
    expect(build(instance({ credentials: [] }), '').spec?.template.metadata?.annotations).not.toHaveProperty(credentialsHashAnnotation);
  });

  it('leaves the replica count to the autoscaler when autoscaling is set, and keeps replicas: 0', () => {
    const autoscaled = instance({ deployment: { replicas: 2, autoscaling: { min_replicas: 2, max_replicas: 5, target_cpu_utilization: 70 } } });
    expect(build(autoscaled).spec).not.toHaveProperty('replicas');
    expect(build(instance({ deployment: { replicas: 0 } })).spec?.replicas).toBe(0);
    expect(build(instance()).spec?.progressDeadlineSeconds).toBe(120);
  });

  it('stamps a hash that changes with the spec, including a removed field', () => {
    const hash = (i: BookInstanceDefinition) => build(i).metadata?.annotations?.[appliedHashAnnotation];
    expect(hash(instance())).toBe(hash(instance()));
    expect(hash(instance({ deployment: { replicas: 3, resources: { cpu: '500m', memory: '1Gi' } } }))).not.toBe(hash(instance()));
    expect(hash(instance({ deployment: { replicas: 2, resources: { memory: '1Gi' } } }))).not.toBe(hash(instance()));
  });
});

describe('desiredService and desiredExternalBook', () => {
  it('expose the book on the configured port, with its URL from the template', () => {
    const i = instance();
    const id = identify(i, book);
    expect(desiredService(id, config).spec?.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 'http' }]);
    expect(desiredExternalBook(id, i, book, config).spec.endpoint).toEqual({
      url: 'http://customer-support-3b4650f8.customer-acme.svc:8080',
      service: 'customer-support-3b4650f8',
      port: 8080,
    });
  });
});

describe('desiredAutoscaler', () => {
  it('is an autoscaling/v2 HorizontalPodAutoscaler of the book Deployment on CPU, or nothing', () => {
    const autoscaled = instance({ deployment: { type: 'primary', replicas: 2, autoscaling: { min_replicas: 2, max_replicas: 5, target_cpu_utilization: 70 } } });
    const hpa = desiredAutoscaler(identify(autoscaled, book), autoscaled);
    expect(hpa).toMatchObject({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'customer-support-3b4650f8', namespace: 'customer-acme' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'customer-support-3b4650f8' },
        minReplicas: 2,
        maxReplicas: 5,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    });
    expect(desiredAutoscaler(identify(instance(), book), instance())).toBeUndefined();
  });

  it('also scales on the router backlog of the instance when a target is set', () => {
    const backlog = instance({ deployment: { autoscaling: { max_replicas: 4, target_webhook_backlog: 50 } } });
    expect(desiredAutoscaler(identify(backlog, book), backlog)?.spec?.metrics?.[1]).toEqual({
      type: 'External',
      external: {
        metric: { name: 'bdk_webhook_queue_depth_by_instance', selector: { matchLabels: { instance_id: '3b4650f8-0000-4000-8000-000000000000' } } },
        target: { type: 'AverageValue', averageValue: '50' },
      },
    });
  });
});
