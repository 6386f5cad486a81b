// The identity labels the API selects by (bdk.voyager.io/book-id, instance-id, organization-id, ...) for objects
// applied without the API: what each lacks and the value the API gives it. Values come from the object itself and
// its BookDefinition, the ones the controller already falls back to (metadata.uid as the id, the spec's
// organisation as the owner), so labelling changes no id anyone has seen. A label already set is never replaced.
import { bdkLabels, bookIdOf, instanceIdOf, validOrganizationId, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';

/** The labels to add, and why any other is still missing (for the log). */
export interface MissingLabels {
  labels: Record<string, string>;
  /** Empty when nothing is left missing. */
  pending: string[];
}

/** A BookDefinition's book-id (its uid) and book-name (spec.name), where absent. */
export function missingBookLabels(book: BookDefinition): MissingLabels {
  const labels: Record<string, string> = {};
  const add = (key: string, value: string) => {
    if (book.metadata.labels?.[key] === undefined) labels[key] = value;
  };
  add(bdkLabels.bookId, bookIdOf(book));
  add(bdkLabels.bookName, book.spec.name);
  return { labels, pending: [] };
}

/**
 * A BookInstanceDefinition's instance-id (its uid), customer-namespace and organization-id (from spec.customer),
 * book-id and book-name (from its BookDefinition, `book`), where absent. The book's labels wait until the book
 * exists; an organisation id that is no label value (the CRD allows longer ones) is never labelled, so no
 * organisation sees the instance through the API.
 */
export function missingInstanceLabels(instance: BookInstanceDefinition, book: BookDefinition | undefined): MissingLabels {
  const existing = instance.metadata.labels ?? {};
  const customer = instance.spec.customer;
  const labels: Record<string, string> = {};
  const pending: string[] = [];
  const add = (key: string, value: string) => {
    if (existing[key] === undefined) labels[key] = value;
  };
  add(bdkLabels.instanceId, instanceIdOf(instance));
  add(bdkLabels.customerNamespace, customer.namespace);
  if (existing[bdkLabels.organizationId] === undefined) {
    if (validOrganizationId(customer.organization_id)) labels[bdkLabels.organizationId] = customer.organization_id;
    else pending.push(`spec.customer.organization_id "${customer.organization_id}" is not a label value (at most 63 letters, digits, '-', '_' and '.')`);
  }
  if (existing[bdkLabels.bookId] === undefined || existing[bdkLabels.bookName] === undefined) {
    if (book) {
      add(bdkLabels.bookId, bookIdOf(book));
      add(bdkLabels.bookName, book.spec.name);
    } else {
      pending.push(`its BookDefinition ${instance.spec.bookRef.name} does not exist yet`);
    }
  }
  return { labels, pending };
}
