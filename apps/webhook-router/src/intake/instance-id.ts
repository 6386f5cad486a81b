// The `{instance_id}` of POST /api/v1/webhooks/{source}/instances/{instance_id}: a book instance's id, a UUID as
// the library service issues it. Checked before it keys the subscriber lookup, so the path cannot carry anything
// else to the controller or into the cache.

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why `instanceId` is not an instance id, or undefined when it is. */
export function instanceIdProblem(instanceId: string): string | undefined {
  return uuid.test(instanceId) ? undefined : 'must be a UUID (8-4-4-4-12 hexadecimal digits)';
}

/** The form instance ids are issued in (lower case), so one instance is one cache key. */
export function canonicalInstanceId(instanceId: string): string {
  return instanceId.toLowerCase();
}
