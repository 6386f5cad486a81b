/** What a token may do. Each public RPC needs exactly one of these (see `MethodPermissions`). */
export const permissions = {
  /** Read the shared book catalogue. */
  booksRead: 'books:read',
  /** Publish and delete catalogue books: platform admins only. */
  booksPublish: 'books:publish',
  /** Read the organisation's instances. */
  instancesRead: 'instances:read',
  /** Create and delete the organisation's instances. */
  instancesWrite: 'instances:write',
  /** Rotate instance credentials and webhook signing secrets. */
  credentialsRotate: 'credentials:rotate',
  /** Read the webhook delivery log. */
  deliveriesRead: 'deliveries:read',
  /** Replay a recorded webhook delivery. */
  deliveriesReplay: 'deliveries:replay',
} as const;

export type Permission = (typeof permissions)[keyof typeof permissions];

const known: ReadonlySet<string> = new Set(Object.values(permissions));

export function isPermission(name: string): name is Permission {
  return known.has(name);
}

/** The catalogue is shared by every organisation, so changing it is the platform's, not an organisation's. */
export const platformAdminPermissions: readonly Permission[] = Object.freeze([permissions.booksPublish]);

/** Everything an organisation's own members may be granted. */
export const organizationPermissions: readonly Permission[] = Object.freeze(
  Object.values(permissions).filter((p) => !platformAdminPermissions.includes(p)),
);
