import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';

/**
 * A connect client interceptor that sends `authorization: Bearer <token>` from the source on every call. The
 * source is asked each time, so a rotated token is sent as soon as the source has it.
 */
export function bearerTokenInterceptor(token: () => Promise<string>): Interceptor {
  return (next) => async (request) => {
    let value: string;
    try {
      value = await token();
    } catch (error) {
      throw new ConnectError('no bearer token to send', Code.Unauthenticated, undefined, undefined, error);
    }
    request.header.set('authorization', `Bearer ${value}`);
    return next(request);
  };
}

// RFC 6750's b64token after a case-insensitive scheme: one token, nothing between its characters.
const bearer = /^bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of `authorization: Bearer <token>` or undefined (case-insensitive scheme, surrounding spaces trimmed). */
export function bearerToken(headers: Headers): string | undefined {
  const value = headers.get('authorization')?.trim();
  return value ? bearer.exec(value)?.[1] : undefined;
}
