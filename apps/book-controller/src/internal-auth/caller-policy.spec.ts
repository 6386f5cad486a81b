import { describe, expect, it } from '@jest/globals';
import { Code } from '@connectrpc/connect';
import { callerPolicy, decideCaller } from './caller-policy.js';

const router = 'system:serviceaccount:bdk:webhook-router';
const library = 'system:serviceaccount:bdk:library-service';
const policy = callerPolicy({ webhookRouterIdentity: router, libraryServiceIdentity: library });

describe('decideCaller', () => {
  it.each([
    ['DispatchTrigger', router],
    ['DispatchTriggers', router],
    ['ListWebhookSubscribers', router],
    ['StoreInstanceSecrets', library],
  ])('lets %s be called by %s', (method, username) => {
    expect(decideCaller(policy, method, { username })).toEqual({ allowed: true });
  });

  it('answers a call without an authenticated identity Unauthenticated', () => {
    expect(decideCaller(policy, 'DispatchTrigger', undefined)).toMatchObject({ allowed: false, code: Code.Unauthenticated });
  });

  it.each([
    ['StoreInstanceSecrets', router],
    ['DispatchTrigger', library],
    ['DispatchTriggers', library],
    ['ListWebhookSubscribers', 'system:serviceaccount:bdk:intruder'],
    ['DispatchTrigger', 'system:serviceaccount:other:webhook-router'],
  ])('refuses %s to %s with PermissionDenied naming both', (method, username) => {
    expect(decideCaller(policy, method, { username })).toEqual({ allowed: false, code: Code.PermissionDenied, message: `${username} may not call ${method}` });
  });

  it('accepts nobody on a method the policy does not name', () => {
    expect(decideCaller(policy, 'DeleteEverything', { username: router })).toMatchObject({ allowed: false, code: Code.PermissionDenied });
    expect(decideCaller(policy, 'toString', { username: router })).toMatchObject({ allowed: false, code: Code.PermissionDenied });
  });
});
