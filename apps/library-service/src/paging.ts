// page_size/page_token of the List RPCs, on the apiserver's own limit/continue: the token handed out is the
// apiserver's continue token, so pages are consistent snapshots and the service keeps no cursor state.
import { kubeStatusCode } from '@bdk/k8s';
import { kube, type LibraryDeps } from './library-deps.js';
import { invalidArgument } from './validation.js';

export interface Page<T> {
  items: T[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** The list call of a CustomResourceClient (@bdk/k8s). */
interface Lister<T> {
  list(namespace: string, options?: { labelSelector?: string; limit?: number; continue?: string }): Promise<{ items: T[]; metadata: { continue?: string } }>;
}

export async function listPage<T>(
  deps: LibraryDeps,
  client: Lister<T>,
  action: string,
  options: { labelSelector: string; limit: number; pageToken: string },
): Promise<Page<T>> {
  const list = await kube(deps, action, async () => {
    try {
      return await client.list(deps.namespace, { labelSelector: options.labelSelector, limit: options.limit, continue: options.pageToken || undefined });
    } catch (error) {
      const status = kubeStatusCode(error);
      // 410 Gone: the snapshot the token continues has been compacted away.
      if (options.pageToken && status === 410) {
        throw invalidArgument('page_token', 'has expired; list again from the first page');
      }
      if (options.pageToken && status === 400) {
        throw invalidArgument('page_token', 'is not a next_page_token from a previous page');
      }
      throw error;
    }
  });
  return { items: list.items, nextPageToken: list.metadata.continue ?? '' };
}
