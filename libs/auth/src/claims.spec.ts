import { describe, expect, it } from '@jest/globals';
import { AuthenticationError } from './authentication-error.js';
import { principalFromClaims } from './claims.js';

const issuer = { issuer: 'https://idp.example', organizationClaim: 'org_id', permissionsClaim: 'permissions' };

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof AuthenticationError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('principalFromClaims', () => {
  it('reads subject, organisation and an array of permissions', () => {
    const principal = principalFromClaims({ sub: 'alice', org_id: 'acme', permissions: ['books:read', 'instances:write'] }, issuer);
    expect(principal).toEqual({
      subject: 'alice',
      issuer: 'https://idp.example',
      organizationId: 'acme',
      permissions: new Set(['books:read', 'instances:write']),
      organizationClaim: 'org_id',
    });
  });

  it('reads a space-separated permissions string (OAuth scope), ignoring names it does not know', () => {
    const principal = principalFromClaims({ sub: 'alice', scope: 'openid  books:read email instances:read ' }, { ...issuer, permissionsClaim: 'scope' });
    expect([...principal.permissions].sort()).toEqual(['books:read', 'instances:read']);
  });

  it('ignores unknown names in an array too', () => {
    expect([...principalFromClaims({ sub: 'a', permissions: ['books:write', 'books:read', 'BOOKS:PUBLISH'] }, issuer).permissions]).toEqual(['books:read']);
  });

  it('reads namespaced claim names with dots and slashes as exact names, not paths', () => {
    const namespaced = { ...issuer, organizationClaim: 'https://bdk.example/org', permissionsClaim: 'https://bdk.example/permissions' };
    const principal = principalFromClaims(
      { sub: 'alice', 'https://bdk.example/org': 'acme.eu', 'https://bdk.example/permissions': ['deliveries:read'] },
      namespaced,
    );
    expect(principal.organizationId).toBe('acme.eu');
    expect([...principal.permissions]).toEqual(['deliveries:read']);

    // The same names split into a path find nothing.
    const nested = principalFromClaims({ sub: 'alice', 'https://bdk': { 'example/org': 'acme' }, https: { 'bdk.example/org': 'acme' } }, namespaced);
    expect(nested.organizationId).toBeUndefined();
    expect(nested.permissions.size).toBe(0);
  });

  it('gives no organisation and no permissions when the claims are absent', () => {
    const principal = principalFromClaims({ sub: 'admin' }, issuer);
    expect(principal.organizationId).toBeUndefined();
    expect(principal.permissions.size).toBe(0);
  });

  it('does not take a permission from the prototype chain', () => {
    expect(principalFromClaims(JSON.parse('{"sub": "a"}'), { ...issuer, permissionsClaim: 'constructor', organizationClaim: 'toString' })).toMatchObject({
      organizationId: undefined,
      permissions: new Set(),
    });
  });

  it.each(['a'.repeat(63), 'acme', 'org-uuid-123', 'A.b_c-9', '7'])('accepts the organisation %s (a Kubernetes label value)', (org) => {
    expect(principalFromClaims({ sub: 'a', org_id: org }, issuer).organizationId).toBe(org);
  });

  it.each<[string, unknown]>([
    ['64 characters', 'a'.repeat(64)],
    ['empty', ''],
    ['a leading dash', '-acme'],
    ['a trailing dot', 'acme.'],
    ['a slash', 'acme/eu'],
    ['a space', 'ac me'],
    ['a number', 42],
    ['an array', ['acme']],
  ])('refuses an organisation with %s as invalid_claims', (_case, org) => {
    expect(reasonOf(() => principalFromClaims({ sub: 'a', org_id: org }, issuer))).toBe('invalid_claims');
  });

  it.each<[string, Record<string, unknown>]>([
    ['no sub', { permissions: [] }],
    ['an empty sub', { sub: '' }],
    ['a permissions object', { sub: 'a', permissions: { 'books:read': true } }],
    ['a permissions array with a number', { sub: 'a', permissions: ['books:read', 1] }],
  ])('refuses %s as invalid_claims', (_case, claims) => {
    expect(reasonOf(() => principalFromClaims(claims, issuer))).toBe('invalid_claims');
  });
});
