import { Code, ConnectError, createContextKey, type HandlerContext } from '@connectrpc/connect';
import type { Permission } from './permissions.js';

/** Who is calling, as established by a verified token. */
export interface Principal {
  /** The token's `sub`. */
  subject: string;
  /** The token's `iss`. */
  issuer: string;
  /** From the issuer's organisation claim; undefined when the token carries none (platform admins). */
  organizationId: string | undefined;
  /** From the issuer's permissions claim; names BDK does not know are dropped. */
  permissions: ReadonlySet<Permission>;
  /** The claim the organisation was read from, so that errors can name it (defaults to "org_id"). */
  organizationClaim?: string;
}

/** "alice@https://issuer (org acme)": who did something, for audit logs. */
export function describePrincipal(principal: Principal): string {
  const who = `${principal.subject}@${principal.issuer}`;
  return principal.organizationId === undefined ? who : `${who} (org ${principal.organizationId})`;
}

/** Where the auth interceptor leaves the caller for the handlers. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: 'bdk authenticated principal' });

/** The authenticated caller of this RPC. */
export function principalOf(context: HandlerContext): Principal {
  const principal = context.values.get(principalKey);
  if (!principal) {
    // A handler that asks for a caller but was reached without one is a wiring mistake on the server.
    throw new ConnectError('no authenticated caller: the auth interceptor did not run for this method', Code.Internal);
  }
  return principal;
}

/** The caller's organisation; PermissionDenied when the token carries none. */
export function callerOrganization(context: HandlerContext): string {
  const principal = principalOf(context);
  if (principal.organizationId === undefined) {
    const claim = principal.organizationClaim ?? 'org_id';
    throw new ConnectError(`the token carries no organisation (claim "${claim}")`, Code.PermissionDenied);
  }
  return principal.organizationId;
}
