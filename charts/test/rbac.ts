// RBAC rules flattened into one string per granted permission, so that a test compares a chart's grants with the
// intended list exactly: a missing permission and an extra one both fail.
import type { V1PolicyRule } from '@kubernetes/client-node';

/** `group/resource:verb` (core group as ""), sorted. */
export function permissions(rules: readonly V1PolicyRule[] | undefined): string[] {
  const granted = new Set<string>();
  for (const rule of rules ?? []) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) granted.add(`${group}/${resource}:${verb}`);
      }
    }
  }
  return [...granted].sort();
}

/** The permissions of `verbs` on each resource of `group`. */
export function grant(group: string, resources: readonly string[], verbs: readonly string[]): string[] {
  return resources.flatMap((resource) => verbs.map((verb) => `${group}/${resource}:${verb}`));
}

/** Every wildcard or catch-all a rule might hide: `*` anywhere, or rules keyed by URL rather than resource. */
export function wildcards(rules: readonly V1PolicyRule[] | undefined): string[] {
  const found: string[] = [];
  for (const rule of rules ?? []) {
    for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
      if ((rule[field] ?? []).some((value) => value.includes('*'))) found.push(`${field}: ${JSON.stringify(rule[field])}`);
    }
    if (rule.nonResourceURLs?.length) found.push(`nonResourceURLs: ${JSON.stringify(rule.nonResourceURLs)}`);
  }
  return found;
}

export const fullCrud = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;
