// The hash of an object as the controller built it, stamped on the object itself, so the next reconcile can tell
// whether its own intent changed (a field it dropped included) without comparing every field.
import { contentHash } from '@bdk/controller-runtime';

/** Hash of everything the controller sets on a child, so a change it makes (a field removed, too) is seen. */
export const appliedHashAnnotation = 'bdk.voyager.io/applied-hash';

/** Stamps the hash of the object as built. */
export function withAppliedHash<T extends { metadata?: { annotations?: Record<string, string> } }>(object: T): T {
  const hash = contentHash(object);
  const metadata = object.metadata ?? {};
  return { ...object, metadata: { ...metadata, annotations: { ...metadata.annotations, [appliedHashAnnotation]: hash } } };
}
