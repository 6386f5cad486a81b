// The baseline: a plain client (client-node, no caches, no watches of its own objects, no comparisons) making the
// writes the controller makes for each new instance, with the same bodies (the controller's own builders), the same
// number in flight, and waiting, as the controller does, for the Pods of each Deployment to come up before it
// writes the Ready status. Per instance, in the reconcile's order:
//   finalizer patch; server-side applies of the ResourceQuota, the LimitRange and the three NetworkPolicies; of the
//   ConfigMap, the Service, the Deployment and the ExternalBookDefinition; a status patch (Pending) and an Event
//   (Applied); then, once the Deployment is available, a status patch (Ready) and an Event (Ready).
// 14 writes. The namespace already exists (see instance-inputs), so neither side writes it. Its connections are
// kept alive and shared, as the controller's are (shareConnections): the comparison is of the work, not of TLS.
import { bdkLabels, instanceCleanupFinalizer, labelSelector, managedByBdk, type BdkResources, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { createLogger } from '@bdk/service-runtime';
import { rolloutState } from './harness.js';
import { AppsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { ControllerConfig } from '../src/config.js';
import { createChildWriter } from '../src/instance/children.js';
import { ConditionReason, EventReason } from '../src/instance/conditions.js';
import { digestSecret, observeCredentials, type CredentialsObservation } from '../src/instance/credentials.js';
import { desiredConfigMap, desiredDeployment, desiredExternalBook, desiredService, identify, type InstanceIdentity } from '../src/instance/desired-objects.js';
import { createEventRecorder } from '../src/instance/events.js';
import { desiredStatus } from '../src/instance/instance-status.js';
import { desiredNamespacePolicy } from '../src/instance/namespace-policy.js';
import { observeRollout, type RolloutHealth } from '../src/instance/rollout-health.js';
import { shareConnections } from '../src/instance/shared-connections.js';
import type { WorkloadPolicy } from '../src/instance/workload-policy.js';
import type { BenchInstance } from './instance-inputs.js';
import { followObjects } from './watch-objects.js';
import { WorkPool } from './work-pool.js';

/** Writes per instance, as listed above. */
export const plainClientWritesPerInstance = 14;

export interface PlainClientRun {
  seconds: number;
  /** When each instance's last write returned, in seconds from the start. */
  readyAtSeconds: number[];
}

export async function runPlainClient(options: {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  book: BookDefinition;
  instances: readonly BenchInstance[];
  config: ControllerConfig;
  policy: WorkloadPolicy;
  concurrency: number;
  timeoutMs: number;
  log: (line: string) => void;
}): Promise<PlainClientRun> {
  const { resources, book, config, policy } = options;
  const kubeConfig = shareConnections(options.kubeConfig);
  const children = createChildWriter(kubeConfig);
  const events = createEventRecorder(kubeConfig, 'book-controller', createLogger('bench-plain-client'));
  const pool = new WorkPool(options.concurrency);
  const started = performance.now();
  const readyAtSeconds: number[] = [];

  interface Pending {
    instance: BookInstanceDefinition;
    id: InstanceIdentity;
    credentials: CredentialsObservation;
    /** The first writes are done (the Pending status among them). */
    applied: boolean;
    /** The Deployment's rollout is complete. */
    available: boolean;
    readyQueued: boolean;
  }
  const byWorkload = new Map<string, Pending>();
  let remaining = options.instances.length;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const observed = (instance: BookInstanceDefinition, id: InstanceIdentity, credentials: CredentialsObservation, rollout: RolloutHealth) =>
    desiredStatus({
      instance,
      identity: id,
      book: { status: 'True', reason: ConditionReason.BookFound, message: `BookDefinition ${book.metadata.name ?? ''} version ${book.spec.version}` },
      namespace: { status: 'True', reason: ConditionReason.NamespaceOwned, message: `namespace ${id.customerNamespace} is managed by BDK` },
      credentials: credentials.observation,
      rollout,
      now: new Date(),
    });

  // The Ready writes follow both the first writes and the Deployment's availability, whichever comes last.
  const writeReadyOnce = (pending: Pending) => {
    if (!pending.applied || !pending.available || pending.readyQueued) return;
    pending.readyQueued = true;
    pool.add(async () => {
      const { instance, id, credentials } = pending;
      const wanted = instance.spec.deployment?.replicas ?? 1;
      const rollout: RolloutHealth = {
        observation: { status: 'True', reason: ConditionReason.ReplicasReady, message: `${wanted}/${wanted} pods of the current template ready` },
        readyPods: wanted,
        totalPods: wanted,
      };
      await resources.instances.mergePatchStatus(instance.metadata.namespace ?? '', instance.metadata.name ?? '', observed(instance, id, credentials, rollout));
      await events(instance, 'Normal', EventReason.Ready, 'every book replica is ready');
      readyAtSeconds.push((performance.now() - started) / 1000);
      if (--remaining === 0) finish();
    });
  };

  const deployments = await followObjects<V1Deployment>(
    kubeConfig,
    '/apis/apps/v1/deployments',
    labelSelector({ [bdkLabels.managedBy]: managedByBdk }),
    (deployment, type) => {
      if (type === 'DELETED' || rolloutState(deployment) !== 'complete') return;
      const pending = byWorkload.get(`${deployment.metadata?.namespace ?? ''}/${deployment.metadata?.name ?? ''}`);
      if (!pending) return;
      pending.available = true;
      writeReadyOnce(pending);
    },
  );

  try {
    for (const { instance: created, secret } of options.instances) {
      pool.add(async () => {
        const name = created.metadata.name ?? '';
        const namespace = created.metadata.namespace ?? '';
        const instance = await resources.instances.mergePatch(namespace, name, {
          metadata: { finalizers: [...(created.metadata.finalizers ?? []), instanceCleanupFinalizer], resourceVersion: created.metadata.resourceVersion },
        });
        const id = identify(instance, book);
        const credentials = await observeCredentials(id, instance, async () => digestSecret(secret));
        const pending: Pending = { instance, id, credentials, applied: false, available: false, readyQueued: false };
        byWorkload.set(`${id.customerNamespace}/${id.workloadName}`, pending);
        for (const object of desiredNamespacePolicy(id.customerNamespace, policy.namespace)) await children.applyNamespacePolicy(object);
        const configMap = desiredConfigMap(id, instance, book);
        await children.applyConfigMap(configMap);
        await children.applyService(desiredService(id, config));
        await children.applyDeployment(
          desiredDeployment(id, instance, book, config, { configMap, credentialsDigest: credentials.digest, progressDeadlineSeconds: policy.progressDeadlineSeconds }),
        );
        await children.applyExternalBook(desiredExternalBook(id, instance, book, config));
        const withStatus = await resources.instances.mergePatchStatus(namespace, name, observed(instance, id, credentials, observeRollout(undefined, [], [])));
        pending.instance = withStatus;
        await events(instance, 'Normal', EventReason.Applied, `applied ConfigMap, Service, Deployment, ExternalBookDefinition in namespace ${id.customerNamespace}`);
        pending.applied = true;
        writeReadyOnce(pending);
      });
    }
    const progress = () => {
      const all = [...byWorkload.values()];
      return `${all.filter((p) => p.applied).length} applied, ${all.filter((p) => p.available).length} available, ${options.instances.length - remaining} done`;
    };
    // What a Deployment that is not available says about it, for a timeout's message.
    const stuck = async () => {
      const pending = [...byWorkload.values()].find((p) => !p.available);
      if (!pending) return '';
      const deployment = await kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: pending.id.customerNamespace, name: pending.id.workloadName });
      return `; deployment ${pending.id.customerNamespace}/${pending.id.workloadName}: ${JSON.stringify(deployment.status)}`;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => void stuck().then((said) => reject(new Error(`the plain client: not done after ${options.timeoutMs / 1000} s: ${progress()}${said}`)), reject),
        options.timeoutMs,
      );
    });
    const ticker = setInterval(() => options.log(`baseline: ${progress()}`), 10_000);
    // A failed write fails the run at once; otherwise it ends when the last Ready status is written.
    await Promise.race([finished, timeout, pool.failed]).finally(() => {
      clearTimeout(timer);
      clearInterval(ticker);
    });
    return { seconds: (performance.now() - started) / 1000, readyAtSeconds };
  } finally {
    deployments.stop();
  }
}
