// The Stage files and the constants tests use to reach them agree: a failure label or value renamed on one side
// only would leave the opted-in Pods to the ready stage (or to none).
import { describe, expect, it } from '@jest/globals';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { kwokPodFailureLabel, kwokPodFailures, kwokStageDirectory } from './kwok.js';

interface Stage {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    resourceRef: { kind: string };
    selector?: { matchLabels?: Record<string, string>; matchExpressions?: { jq?: { key: string; operator: string; values?: string[] } }[] };
    steps: unknown[];
  };
}

async function stages(): Promise<Map<string, Stage>> {
  const files = (await readdir(kwokStageDirectory)).filter((file) => file.endsWith('.yaml'));
  const parsed = await Promise.all(files.map(async (file) => parse(await readFile(path.join(kwokStageDirectory, file), 'utf8')) as Stage));
  return new Map(parsed.map((stage) => [stage.metadata.name, stage]));
}

describe('the kwok Stages', () => {
  it('are Stage objects for Nodes and Pods, one per file, each with steps', async () => {
    const all = await stages();
    expect([...all.keys()].sort()).toEqual([
      'bdk-node-heartbeat',
      'bdk-node-initialize',
      'bdk-pod-crash-loop',
      'bdk-pod-delete',
      'bdk-pod-image-pull-backoff',
      'bdk-pod-ready',
    ]);
    for (const stage of all.values()) {
      expect(stage).toMatchObject({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage' });
      expect(['Node', 'Pod']).toContain(stage.spec.resourceRef.kind);
      expect(stage.spec.steps.length).toBeGreaterThan(0);
    }
  });

  it('fail a Pod only under kwokPodFailureLabel with one of kwokPodFailures, which the ready stage leaves alone', async () => {
    const all = await stages();
    expect(all.get('bdk-pod-crash-loop')?.spec.selector?.matchLabels).toEqual({ [kwokPodFailureLabel]: kwokPodFailures.crashLoop });
    expect(all.get('bdk-pod-image-pull-backoff')?.spec.selector?.matchLabels).toEqual({ [kwokPodFailureLabel]: kwokPodFailures.imagePullBackOff });
    const excluded = all.get('bdk-pod-ready')?.spec.selector?.matchExpressions?.find((e) => e.jq?.key === `.metadata.labels["${kwokPodFailureLabel}"]`);
    expect(excluded?.jq).toMatchObject({ operator: 'NotIn' });
    expect([...(excluded?.jq?.values ?? [])].sort()).toEqual(Object.values(kwokPodFailures).sort());
  });
});
