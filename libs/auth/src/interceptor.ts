import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { Logger } from '@bdk/service-runtime';
import { AuthenticationError, type AuthenticationFailure } from './authentication-error.js';
import type { Permission } from './permissions.js';
import { principalKey } from './principal.js';
import type { TokenVerifier } from './verifier.js';

/**
 * The permission each RPC needs, by service type name ("bdk.v1.BookLibraryService") and method localName
 * ("createBook"). `public` marks an RPC that authenticates some other way (webhook signatures).
 */
export type MethodPermissions = Record<string, Record<string, Permission | 'public'>>;

export interface AuthInterceptorOptions {
  verifier: TokenVerifier;
  methods: MethodPermissions;
  logger: Logger;
}

// What a caller is told: enough to fix its token, nothing about the keys or the server.
const failureText: Record<AuthenticationFailure, string> = {
  malformed: 'malformed',
  unknown_issuer: 'unknown issuer',
  bad_signature: 'bad signature',
  expired: 'expired',
  not_yet_valid: 'not yet valid',
  wrong_audience: 'wrong audience',
  invalid_claims: 'invalid claims',
  jwks_unavailable: 'signing keys unavailable',
};

// RFC 6750's challenge; REST clients see it where the transport passes response headers on.
const challenge = 'Bearer realm="bdk"';
const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Authenticates and authorises every RPC of the services named in `methods`. Services not named there (gRPC
 * health, reflection) pass untouched; a method of a named service that is not listed is refused, so a new RPC
 * is closed until someone decides who may call it. On success the handler finds the caller with `principalOf`.
 */
export function authInterceptor(options: AuthInterceptorOptions): Interceptor {
  const { verifier, methods, logger } = options;
  return (next) => async (request) => {
    const service = Object.hasOwn(methods, request.service.typeName) ? methods[request.service.typeName] : undefined;
    if (!service) return next(request);
    const rpc = `${request.service.typeName}/${request.method.name}`;
    const needed = Object.hasOwn(service, request.method.localName) ? service[request.method.localName] : undefined;
    if (needed === undefined) {
      logger.warn('refused a call: the method has no permission configured', { reason: 'method_not_configured', method: rpc });
      throw new ConnectError(`${rpc} is not open to any caller`, Code.PermissionDenied);
    }
    if (needed === 'public') return next(request);

    const token = bearer.exec(request.header.get('authorization') ?? '')?.[1];
    if (token === undefined) {
      logger.info('refused a call: no bearer token', { reason: 'missing_token', method: rpc });
      throw new ConnectError('missing bearer token', Code.Unauthenticated, { 'www-authenticate': challenge });
    }

    let principal;
    try {
      principal = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) {
        logger.error('token verification failed', { method: rpc, error });
        throw new ConnectError('token verification failed', Code.Internal);
      }
      const fields = { reason: error.reason, method: rpc, detail: error.message, subject: error.subject, issuer: error.issuer };
      if (error.reason === 'jwks_unavailable') {
        // The token may well be good: the caller should retry, not fetch a new one.
        logger.warn('refused a call: cannot verify tokens', fields);
        throw new ConnectError(`cannot verify the token now: ${failureText[error.reason]}`, Code.Unavailable);
      }
      logger.info('refused a call: invalid token', fields);
      throw new ConnectError(`invalid token: ${failureText[error.reason]}`, Code.Unauthenticated, {
        'www-authenticate': `${challenge}, error="invalid_token"`,
      });
    }

    if (!principal.permissions.has(needed)) {
      logger.warn('refused a call: permission missing', {
        reason: 'permission_missing',
        method: rpc,
        permission: needed,
        subject: principal.subject,
        issuer: principal.issuer,
        organizationId: principal.organizationId,
      });
      throw new ConnectError(`the token lacks the permission ${needed} needed for ${rpc}`, Code.PermissionDenied);
    }
    request.contextValues.set(principalKey, principal);
    return next(request);
  };
}
