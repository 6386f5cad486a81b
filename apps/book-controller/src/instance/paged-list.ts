// A cache's list read in pages of `pageSize`, as client-go's reflector reads it: a relist of thousands of objects
// then never holds them all as the apiserver sent them (as JSON text, parsed, then as client-node's typed copy, with
// managedFields), only one page at a time, each reduced to what the cache keeps before the next is read.
import { dropManagedFields } from '@bdk/controller-runtime';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';

export const pageSize = 250;

/** Where the next page starts: client-node's typed lists name it `_continue`, the API `continue`. */
function continueToken(list: KubernetesListObject<KubernetesObject>): string | undefined {
  const metadata = list.metadata as { _continue?: string; continue?: string } | undefined;
  return metadata?._continue || metadata?.continue || undefined;
}

/**
 * Every page of a list, as one list with the first page's resourceVersion (the snapshot every page is read at, the
 * one to watch from). `reduce` must keep what the cache's own transform reads and give the same result when applied
 * again (the cache applies its transform to every item).
 */
export async function listInPages<T extends KubernetesObject>(
  page: (options: { limit: number; _continue?: string }) => Promise<KubernetesListObject<T>>,
  reduce: (object: T) => T = dropManagedFields,
): Promise<KubernetesListObject<T>> {
  const first = await page({ limit: pageSize });
  const items = first.items.map((item) => reduce(dropManagedFields(item)));
  for (let token = continueToken(first); token; ) {
    const next = await page({ limit: pageSize, _continue: token });
    for (const item of next.items) items.push(reduce(dropManagedFields(item)));
    token = continueToken(next);
  }
  return { ...first, items };
}

/**
 * Runs lists one after another (the caches of a controller start together, and would otherwise hold a page of
 * each kind at once). A list that has not settled after `slotMs` gives its turn to the next one and runs on.
 */
export function oneAtATime(slotMs = 60_000): <R>(list: () => Promise<R>) => Promise<R> {
  let turn: Promise<unknown> = Promise.resolve();
  return <R>(list: () => Promise<R>) => {
    const result = turn.then(list);
    const settled = result.catch(() => undefined);
    turn = Promise.race([settled, new Promise((resolve) => setTimeout(resolve, slotMs).unref())]);
    return result;
  };
}
