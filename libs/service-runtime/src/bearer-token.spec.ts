import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { BookControllerService } from '@bdk/proto';
import { bearerToken, bearerTokenInterceptor } from './bearer-token.js';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def-ghi_jkl', 'abc.def-ghi_jkl'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['  Bearer   abc  ', 'abc'],
    ['Bearer a+b/c==', 'a+b/c=='],
  ])('reads %j as %j', (value, token) => {
    expect(bearerToken(new Headers({ authorization: value }))).toBe(token);
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer '], ['Bearerabc'], ['Bearer a b'], ['Bearer a, Bearer b'], ['abc']])(
    'finds no token in %j',
    (value) => {
      expect(bearerToken(new Headers({ authorization: value }))).toBeUndefined();
    },
  );

  it('finds no token without an authorization header', () => {
    expect(bearerToken(new Headers())).toBeUndefined();
  });
});

describe('bearerTokenInterceptor', () => {
  function controller(token: () => Promise<string>) {
    const received: (string | null)[] = [];
    const transport = createRouterTransport(
      (router) =>
        router.service(BookControllerService, {
          dispatchTrigger(_request, context) {
            received.push(context.requestHeader.get('authorization'));
            return {};
          },
        }),
      { transport: { interceptors: [bearerTokenInterceptor(token)] } },
    );
    return { client: createClient(BookControllerService, transport), received };
  }

  it('sends the current token of the source on every call', async () => {
    const tokens = ['first-token', 'rotated-token'];
    const { client, received } = controller(async () => tokens.shift() ?? 'none');
    await client.dispatchTrigger({ webhookId: 'w1', source: 'github' });
    await client.dispatchTrigger({ webhookId: 'w2', source: 'github' });
    expect(received).toEqual(['Bearer first-token', 'Bearer rotated-token']);
  });

  it('fails the call as Unauthenticated, without sending it, when the source has no token', async () => {
    const { client, received } = controller(() => Promise.reject(new Error('ENOENT: no such file')));
    const error = await client.dispatchTrigger({ webhookId: 'w1', source: 'github' }).catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
    expect(received).toEqual([]);
  });
});
