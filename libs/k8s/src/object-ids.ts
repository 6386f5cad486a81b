// The ids the API hands out for BDK's custom resources. An object the API created carries its id as a label; one
// applied with kubectl or a GitOps tool has none until the library-service labels it, and its id is its
// metadata.uid, so the API, the controller and the labels written later all agree on one id from the start.
import { bdkLabels } from './labels.js';

interface LabelledObject {
  metadata: { uid?: string; labels?: Record<string, string> };
}

/** A BookDefinition's book_id: its book-id label, else its uid. */
export function bookIdOf(book: LabelledObject): string {
  return book.metadata.labels?.[bdkLabels.bookId] ?? book.metadata.uid ?? '';
}

/** A BookInstanceDefinition's instance_id: its instance-id label, else its uid. */
export function instanceIdOf(instance: LabelledObject): string {
  return instance.metadata.labels?.[bdkLabels.instanceId] ?? instance.metadata.uid ?? '';
}
