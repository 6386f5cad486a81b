// Which caller each BookControllerService RPC accepts, and what to answer anyone else. Pure: the interceptor
// supplies the identity the apiserver vouched for.
import { Code } from '@connectrpc/connect';
import type { ControllerConfig } from '../config.js';

/** RPC name (as in the proto, e.g. DispatchTrigger) → the one Kubernetes username allowed to call it. */
export type CallerPolicy = Readonly<Record<string, string>>;

export function callerPolicy(config: Pick<ControllerConfig, 'webhookRouterIdentity' | 'libraryServiceIdentity'>): CallerPolicy {
  return {
    DispatchTrigger: config.webhookRouterIdentity,
    DispatchTriggers: config.webhookRouterIdentity,
    ListWebhookSubscribers: config.webhookRouterIdentity,
    StoreInstanceSecrets: config.libraryServiceIdentity,
  };
}

export type CallerDecision = { allowed: true } | { allowed: false; code: Code; message: string };

/**
 * `identity` is undefined when the call carried no token or the apiserver did not authenticate it. An RPC the
 * policy does not name accepts nobody: a method added to the service stays closed until someone decides who
 * may call it.
 */
export function decideCaller(policy: CallerPolicy, method: string, identity: { username: string } | undefined): CallerDecision {
  if (!identity) return { allowed: false, code: Code.Unauthenticated, message: 'a valid ServiceAccount bearer token is required' };
  const allowed = Object.hasOwn(policy, method) ? policy[method] : undefined;
  if (allowed === undefined || identity.username !== allowed) {
    return { allowed: false, code: Code.PermissionDenied, message: `${identity.username} may not call ${method}` };
  }
  return { allowed: true };
}
