// Writes keys into one of an instance's Secrets in its customer namespace, keeping the keys already there.
//
// Read-modify-write with the resourceVersion as precondition, not server-side apply: with one field manager,
// an apply that names only the keys of this call would delete the keys an earlier apply set (apply removes
// what its manager owned and no longer sends), so every apply would have to carry the whole Secret — read first
// anyway. And a rotation is a function of what is stored (the current secret becomes the previous one), so two
// rotations at once must see each other's result: the conditional update makes the second writer's patch fail
// with 409, and it reads again and recomputes from what the first one left, so neither change is lost.
import { isConflict, isNotFound } from '@bdk/k8s';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Secret } from '@kubernetes/client-node';

export interface SecretTarget {
  namespace: string;
  name: string;
  /** Merged into the Secret's labels and annotations on every write. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Given the keys stored now (decoded), the keys to set and what the caller wants back. */
export type SecretChange<T> = (stored: Readonly<Record<string, string>>) => { set: Record<string, string>; result: T };

/** A Secret of that name exists and carries another instance's (or another purpose's) label. */
export class ForeignSecretError extends Error {
  override name = 'ForeignSecretError';
}

export interface SecretWriter {
  write<T>(target: SecretTarget, change: SecretChange<T>): Promise<T>;
}

// Each round loses only to a write that succeeded meanwhile; this many in a row means something is writing in a loop.
const maxRounds = 5;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** `guardLabels`: labels an existing Secret must not contradict (a different value is someone else's Secret). */
export function createSecretWriter(kubeConfig: KubeConfig, guardLabels: readonly string[]): SecretWriter {
  const core = kubeConfig.makeApiClient(CoreV1Api);

  async function read(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await core.readNamespacedSecret({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  return {
    async write(target, change) {
      const { namespace, name } = target;
      for (let round = 1; ; round++) {
        const existing = await read(namespace, name);
        if (existing) {
          for (const label of guardLabels) {
            const found = existing.metadata?.labels?.[label];
            if (found !== undefined && found !== target.labels[label]) {
              throw new ForeignSecretError(`Secret ${namespace}/${name} exists with ${label}=${found}, which is not this instance's`);
            }
          }
        }
        const { set, result } = change(decode(existing?.data));
        const data = encode(set);
        try {
          if (!existing) {
            await core.createNamespacedSecret({
              namespace,
              body: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace, labels: target.labels, annotations: target.annotations }, data },
            });
          } else {
            await core.patchNamespacedSecret(
              {
                namespace,
                name,
                body: { metadata: { labels: target.labels, annotations: target.annotations, resourceVersion: existing.metadata?.resourceVersion }, data },
              },
              mergePatch,
            );
          }
          return result;
        } catch (error) {
          // 409: created meanwhile (AlreadyExists) or changed since the read (Conflict). Either way: read again.
          if (!isConflict(error) || round >= maxRounds) throw error;
        }
      }
    },
  };
}

function decode(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

function encode(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]));
}
