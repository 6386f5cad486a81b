// Kubernetes Events on a BookInstanceDefinition, so `kubectl describe bookinst <name>` tells its story. Best
// effort: an Event that cannot be written is logged and never fails a reconcile.
import type { BookInstanceDefinition } from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { EventReason } from './conditions.js';
import { shareConnections } from './shared-connections.js';

export type EventRecorder = (instance: BookInstanceDefinition, type: 'Normal' | 'Warning', reason: EventReason, message: string) => Promise<void>;

export function createEventRecorder(kubeConfig: KubeConfig, component: string, logger: Logger): EventRecorder {
  const core = shareConnections(kubeConfig).makeApiClient(CoreV1Api);
  return async (instance, type, reason, message) => {
    const namespace = instance.metadata.namespace ?? '';
    const now = new Date();
    try {
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${instance.metadata.name ?? 'instance'}.`, namespace },
          involvedObject: {
            apiVersion: instance.apiVersion,
            kind: instance.kind,
            name: instance.metadata.name,
            namespace,
            uid: instance.metadata.uid,
            resourceVersion: instance.metadata.resourceVersion,
          },
          type,
          reason,
          message,
          source: { component },
          reportingComponent: component,
          reportingInstance: process.env['HOSTNAME'] ?? component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      logger.warn('event not recorded', { instance: `${namespace}/${instance.metadata.name ?? ''}`, reason, error });
    }
  };
}
