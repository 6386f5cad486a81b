import type { JWTPayload } from 'jose';
import { AuthenticationError } from './authentication-error.js';
import type { IssuerConfig } from './config.js';
import { isPermission, type Permission } from './permissions.js';
import type { Principal } from './principal.js';

// The organisation id becomes a label value on the organisation's Kubernetes objects, so it must be one.
const labelValue = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

export function isOrganizationId(value: string): boolean {
  return labelValue.test(value);
}

/**
 * The caller described by a verified token's claims. Claim names are read as exact keys: a namespaced claim such
 * as "https://bdk.example/org" is one key, not a path.
 */
export function principalFromClaims(claims: JWTPayload, issuer: Pick<IssuerConfig, 'issuer' | 'organizationClaim' | 'permissionsClaim'>): Principal {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') throw new AuthenticationError('invalid_claims', '"sub" must be a non-empty string');
  return {
    subject,
    issuer: issuer.issuer,
    organizationId: organizationOf(claims, issuer.organizationClaim),
    permissions: permissionsOf(claims, issuer.permissionsClaim),
    organizationClaim: issuer.organizationClaim,
  };
}

function organizationOf(claims: JWTPayload, claim: string): string | undefined {
  if (!Object.hasOwn(claims, claim)) return undefined;
  const value = claims[claim];
  if (typeof value !== 'string' || !isOrganizationId(value)) {
    throw new AuthenticationError(
      'invalid_claims',
      `"${claim}" must be a Kubernetes label value (up to 63 letters, digits, "-", "_" or "." between letters or digits)`,
    );
  }
  return value;
}

function permissionsOf(claims: JWTPayload, claim: string): ReadonlySet<Permission> {
  if (!Object.hasOwn(claims, claim)) return new Set();
  const value = claims[claim];
  let names: string[];
  if (typeof value === 'string') names = value.split(' ').filter((name) => name !== '');
  else if (Array.isArray(value) && value.every((name) => typeof name === 'string')) names = value;
  else throw new AuthenticationError('invalid_claims', `"${claim}" must be an array of strings or a space-separated string`);
  // Identity providers put other scopes ("openid", "email") in the same claim; they grant nothing here.
  return new Set(names.filter(isPermission));
}
