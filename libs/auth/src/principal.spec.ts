import { describe, expect, it } from '@jest/globals';
import { organizationPermissions, permissions, platformAdminPermissions } from './permissions.js';
import { describePrincipal } from './principal.js';

describe('permissions', () => {
  it('gives organisations everything but publishing to the shared catalogue', () => {
    expect([...organizationPermissions].sort()).toEqual(
      ['books:read', 'credentials:rotate', 'deliveries:read', 'deliveries:replay', 'instances:read', 'instances:write'].sort(),
    );
    expect(platformAdminPermissions).toEqual([permissions.booksPublish]);
  });
});

describe('describePrincipal', () => {
  it('names subject, issuer and organisation', () => {
    expect(describePrincipal({ subject: 'alice', issuer: 'https://issuer', organizationId: 'acme', permissions: new Set() })).toBe('alice@https://issuer (org acme)');
  });

  it('leaves the organisation out when there is none', () => {
    expect(describePrincipal({ subject: 'root', issuer: 'https://issuer', organizationId: undefined, permissions: new Set() })).toBe('root@https://issuer');
  });
});
