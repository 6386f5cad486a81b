// Authenticates every BookControllerService call: the caller's ServiceAccount token (authorization: Bearer) is
// reviewed by the apiserver (TokenReview, for the controller's audience) and the identity it vouches for must be
// the one the RPC accepts. grpc.health and reflection pass untouched: kubelet probes carry no token.
import { Code, ConnectError, createContextKey, type Interceptor } from '@connectrpc/connect';
import type { ServiceAccountIdentity, TokenReviewer } from '@bdk/k8s';
import { BookControllerService } from '@bdk/proto';
import { bearerToken, type Logger } from '@bdk/service-runtime';
import { decideCaller, type CallerPolicy } from './caller-policy.js';

/** The authenticated caller of the current RPC, for handlers that record who asked (audit). */
export const internalCaller = createContextKey<ServiceAccountIdentity | undefined>(undefined, { description: 'internal caller' });

export interface InternalAuthOptions {
  reviewer: TokenReviewer;
  policy: CallerPolicy;
  logger: Logger;
}

export function internalAuthInterceptor(options: InternalAuthOptions): Interceptor {
  const { reviewer, policy, logger } = options;
  return (next) => async (request) => {
    if (request.service.typeName !== BookControllerService.typeName) return next(request);
    const method = request.method.name;
    const token = bearerToken(request.header);
    let identity: ServiceAccountIdentity | undefined;
    if (token) {
      try {
        identity = await reviewer.review(token);
      } catch (error) {
        // Not the caller's fault: it may try again, and must not conclude that its token is bad.
        logger.warn('internal call refused: TokenReview failed', { method, error });
        throw new ConnectError('cannot authenticate the call now', Code.Unavailable);
      }
    }
    const decision = decideCaller(policy, method, identity);
    if (!decision.allowed) {
      logger.warn('internal call refused', { method, code: Code[decision.code], caller: identity?.username ?? '', bearer_sent: token !== undefined });
      throw new ConnectError(decision.message, decision.code);
    }
    request.contextValues.set(internalCaller, identity);
    return next(request);
  };
}
