// How DeleteBook names the instances that keep a book from being deleted. Which instances hold a book, and the
// book controller's finalizer that holds it until none does, are the shared rules of @bdk/k8s.
import { bdkLabels, nameHolders, namedHoldersLimit, type BookInstanceDefinition } from '@bdk/k8s';

/**
 * `<instance id> (<object name>), …` for the first few of the caller's organisation's instances, then `N more`.
 * A book is shared by every organisation, but its instances are not: another organisation's are only counted. A
 * platform admin (a token without an organisation) is told every one.
 */
export function describeHoldersTo(organizationId: string | undefined, holders: readonly BookInstanceDefinition[], limit = namedHoldersLimit): string {
  const own = holders.filter((instance) => organizationId === undefined || instance.metadata.labels?.[bdkLabels.organizationId] === organizationId);
  const parts = nameHolders(own, limit);
  if (own.length > parts.length) parts.push(`${own.length - parts.length} more`);
  const others = holders.length - own.length;
  if (others > 0) parts.push(`${others} of other organisations`);
  return parts.join(', ');
}
