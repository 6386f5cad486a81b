// The customer namespace an instance deploys into belongs to one organisation. The book controller creates it and
// records the owner on it; this service only reads, so it refuses early what the controller would refuse later.
import { bdkLabels, decideNamespace, isNotFound, labelSelector } from '@bdk/k8s';
import { Code, ConnectError } from '@connectrpc/connect';
import { kube, type LibraryDeps } from '../library-deps.js';
import { failedPrecondition } from '../validation.js';
import { checkNamespaceDecision, checkNamespaceName } from './tenancy.js';

/**
 * Refuses a namespace the organisation may not use: a reserved name, an existing namespace that is not BDK's for
 * this organisation, or one that another organisation's instance already targets (its namespace may not exist
 * yet). Two organisations racing for a new name both pass here; the controller, which creates the namespace,
 * gives it to the first and refuses the second.
 */
export async function checkCustomerNamespace(deps: LibraryDeps, name: string, organizationId: string): Promise<void> {
  checkNamespaceName(name, { bdkNamespace: deps.namespace, requiredPrefix: deps.customerNamespacePrefix });
  const existing = await kube(deps, `read namespace ${name}`, async () => {
    try {
      return await deps.namespaces.readNamespace({ name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  });
  if (existing) {
    if (existing.metadata?.deletionTimestamp) {
      throw failedPrecondition('customer_namespace', `namespace ${name} is being deleted; try again once it is gone`);
    }
    checkNamespaceDecision(decideNamespace({ name, namespace: existing, organizationId, bdkNamespace: deps.namespace }));
    return;
  }
  const { items } = await kube(deps, `list the instances in namespace ${name}`, () =>
    deps.resources.instances.list(deps.namespace, { labelSelector: `${labelSelector({ [bdkLabels.customerNamespace]: name })},${bdkLabels.organizationId}!=${organizationId}`, limit: 1 }),
  );
  if (items.length > 0) throw new ConnectError(`customer_namespace: namespace ${name} belongs to another organisation`, Code.PermissionDenied);
}
