// The apiserver's own count of the requests it served (apiserver_request_total on its /metrics), read before and
// after a phase: what a phase wrote, by resource and verb, whoever sent it. The controller's writes are the writes
// to the kinds it writes; the other components (kube-controller-manager, kube-scheduler, kwok) write Pods,
// ReplicaSets, the status of Deployments and ResourceQuotas, Nodes and Leases, which are counted apart.
import { kubeGet } from './harness.js';
import type { KubeConfig } from '@kubernetes/client-node';

/** `verb group/resource/subresource` → requests. */
export type RequestCounts = Map<string, number>;

const writeVerbs = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION']);
/** Reads of one object; lists and watches are the informers' (once per start, then kept open) and the other components'. */
const readVerbs = new Set(['GET']);

/**
 * The kinds the book controller writes (group/resource/subresource as the metric labels them). Events are core
 * Events, which kube-controller-manager also writes (events.k8s.io ones are the scheduler's): in a phase where the
 * Deployment controller acts, their count is everyone's.
 */
const controllerWrites = new Set([
  'bdk.voyager.io/bookinstancedefinitions/',
  'bdk.voyager.io/bookinstancedefinitions/status',
  'bdk.voyager.io/externalbookdefinitions/',
  '/namespaces/',
  '/configmaps/',
  '/services/',
  'apps/deployments/',
  '/resourcequotas/',
  '/limitranges/',
  'networking.k8s.io/networkpolicies/',
  'autoscaling/horizontalpodautoscalers/',
  '/secrets/',
  '/events/',
]);

export async function readRequestCounts(kubeConfig: KubeConfig): Promise<RequestCounts> {
  const response = await kubeGet(kubeConfig, '/metrics', 'text/plain');
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
  const counts: RequestCounts = new Map();
  for (const line of response.body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const verb = labels['verb'] ?? '';
    if (!writeVerbs.has(verb) && !readVerbs.has(verb)) continue;
    const key = `${verb} ${labels['group'] ?? ''}/${labels['resource'] ?? ''}/${labels['subresource'] ?? ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

export interface WriteSummary {
  /** Writes to the kinds the controller writes, by `verb resource`. */
  controllerKinds: Map<string, number>;
  controllerTotal: number;
  /** Every other write (Pods, ReplicaSets, statuses of built-in kinds, Nodes, Leases). */
  otherTotal: number;
  /** GETs of single objects of the kinds the controller writes, by `verb resource` (the other components read from caches). */
  reads: Map<string, number>;
  readTotal: number;
}

export function writesBetween(before: RequestCounts, after: RequestCounts): WriteSummary {
  const controllerKinds = new Map<string, number>();
  const reads = new Map<string, number>();
  let controllerTotal = 0;
  let otherTotal = 0;
  let readTotal = 0;
  for (const [key, count] of after) {
    const delta = count - (before.get(key) ?? 0);
    if (delta <= 0) continue;
    const kind = key.slice(key.indexOf(' ') + 1);
    if (readVerbs.has(key.slice(0, key.indexOf(' ')))) {
      if (controllerWrites.has(kind)) {
        reads.set(key, delta);
        readTotal += delta;
      }
    } else if (controllerWrites.has(kind)) {
      controllerKinds.set(key, delta);
      controllerTotal += delta;
    } else {
      otherTotal += delta;
    }
  }
  return { controllerKinds, controllerTotal, otherTotal, reads, readTotal };
}

/** `PATCH bookinstancedefinitions/status 2000, APPLY deployments 1000, ...`, largest first. */
export function formatWrites(kinds: Map<string, number>): string {
  return [...kinds]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${key.replace(/ [a-z0-9.-]*\//, ' ').replace(/\/$/, '')} ${count}`)
    .join(', ');
}
