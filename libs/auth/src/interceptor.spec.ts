import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Code, ConnectError, createClient, createRouterTransport, type Client } from '@connectrpc/connect';
import { BookLibraryService, BookSchema, health } from '@bdk/proto';
import { createLogger } from '@bdk/service-runtime';
import { create } from '@bufbuild/protobuf';
import { createIssuerFixture, hs256WithPublicKey, testAudience, testIssuer, unsignedToken, type IssuerFixture } from '../test/issuer-fixture.js';
import { authInterceptor, type MethodPermissions } from './interceptor.js';
import { organizationPermissions, permissions } from './permissions.js';
import { callerOrganization, describePrincipal, principalKey, principalOf } from './principal.js';
import { generateSigningKey } from './signing-keys.js';
import { createTokenVerifier } from './verifier.js';

const methods: MethodPermissions = {
  [BookLibraryService.typeName]: {
    listBooks: permissions.booksRead,
    getBook: permissions.instancesRead,
    createBook: permissions.booksPublish,
    listBookInstances: 'public',
    // deleteBook is deliberately not listed.
  },
};

let issuer: IssuerFixture;
let logs: Record<string, unknown>[];
let rawLogs: string[];
let library: Client<typeof BookLibraryService>;
let healthClient: Client<typeof health.Health>;

beforeAll(async () => {
  issuer = await createIssuerFixture();
  const logger = createLogger('auth-test', {
    level: 'debug',
    write: (line) => {
      rawLogs.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const transport = createRouterTransport(
    (router) => {
      router.service(BookLibraryService, {
        // Answers who the interceptor said the caller is.
        listBooks: (_request, context) => ({ nextPageToken: describePrincipal(principalOf(context)) }),
        getBook: (_request, context) => ({ book: create(BookSchema, { name: callerOrganization(context) }) }),
        createBook: (_request, context) => ({ name: principalOf(context).subject }),
        deleteBook: () => ({}),
        listBookInstances: (_request, context) => ({ nextPageToken: context.values.get(principalKey) === undefined ? 'anonymous' : 'known' }),
        getBookInstance: (_request, context) => {
          principalOf(context);
          return {};
        },
      });
      router.service(health.Health, { check: () => ({ status: health.HealthCheckResponse_ServingStatus.SERVING }) });
    },
    {
      router: {
        interceptors: [
          authInterceptor({
            verifier: createTokenVerifier(issuer.config()),
            methods: { ...methods, [BookLibraryService.typeName]: { ...methods[BookLibraryService.typeName], getBookInstance: 'public' } },
            logger,
          }),
        ],
      },
    },
  );
  library = createClient(BookLibraryService, transport);
  healthClient = createClient(health.Health, transport);
});
afterAll(async () => {
  await issuer.cleanup();
});
beforeEach(() => {
  logs = [];
  rawLogs = [];
});

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected the call to be refused, got ${String(error)}`);
  return error;
}

describe('authInterceptor', () => {
  it('passes a call with a good token and gives the handler its principal', async () => {
    const response = await library.listBooks({}, bearer(await issuer.token()));
    expect(response.nextPageToken).toBe(`alice@${testIssuer} (org acme)`);
    expect(logs).toEqual([]);
  });

  it('gives the handler the caller\'s organisation', async () => {
    const response = await library.getBook({ bookId: 'b' }, bearer(await issuer.token({ organizationId: 'globex', permissions: ['instances:read'] })));
    expect(response.book?.name).toBe('globex');
  });

  it('accepts the bearer scheme in any case', async () => {
    const token = await issuer.token();
    await expect(library.listBooks({}, { headers: { authorization: `bearer ${token}` } })).resolves.toBeDefined();
  });

  it.each<[string, Record<string, string>]>([
    ['no authorization header', {}],
    ['a Basic header', { authorization: 'Basic YWxpY2U6c2VjcmV0' }],
    ['a Bearer header without a token', { authorization: 'Bearer ' }],
    ['a token with spaces in it', { authorization: 'Bearer abc def' }],
  ])('refuses %s as Unauthenticated "missing bearer token" with the Bearer challenge', async (_case, headers) => {
    const error = await refusal(library.listBooks({}, { headers }));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe('missing bearer token');
    expect(error.metadata.get('www-authenticate')).toBe('Bearer realm="bdk"');
    expect(logs).toEqual([
      expect.objectContaining({ level: 'info', reason: 'missing_token', method: 'bdk.v1.BookLibraryService/ListBooks' }),
    ]);
  });

  const hour = 3600_000;
  it.each<[string, () => Promise<string>, string]>([
    ['expired', () => issuer.token({ issuedAt: new Date(Date.now() - 2 * hour), expiresInSeconds: 3600 }), 'expired'],
    ['not yet valid', () => issuer.token({ notBefore: new Date(Date.now() + hour) }), 'not yet valid'],
    ['for another audience', () => issuer.token({ audience: 'another-api' }), 'wrong audience'],
    ['from an unknown issuer', () => issuer.token({ issuer: 'https://unknown.test' }), 'unknown issuer'],
    ['forged with another key under the same kid', async () => issuer.token({ key: { ...(await generateSigningKey()), kid: issuer.key.kid } }), 'bad signature'],
    ['unsigned (alg none)', async () => unsignedToken({ kid: issuer.key.kid }, { iss: testIssuer, aud: testAudience, sub: 'alice', exp: Date.now() / 1000 + 60, permissions: ['books:read'] }), 'bad signature'],
    ['HS256 keyed with the public key', () => hs256WithPublicKey(issuer, { org_id: 'acme', permissions: ['books:read'] }), 'bad signature'],
    ['not a JWT', async () => 'abc.def.ghi', 'malformed'],
  ])('refuses a token %s as Unauthenticated, saying only why', async (_case, makeToken, why) => {
    const token = await makeToken();
    const error = await refusal(library.listBooks({}, bearer(token)));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe(`invalid token: ${why}`);
    expect(error.metadata.get('www-authenticate')).toBe('Bearer realm="bdk", error="invalid_token"');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'info', reason: why.replaceAll(' ', '_'), method: 'bdk.v1.BookLibraryService/ListBooks' });
    expect(rawLogs.join('\n')).not.toContain(token);
  });

  it('logs the subject and issuer of a refused token it could read', async () => {
    await refusal(library.listBooks({}, bearer(await issuer.token({ issuer: 'https://unknown.test', subject: 'mallory' }))));
    expect(logs[0]).toMatchObject({ reason: 'unknown_issuer', subject: 'mallory', issuer: 'https://unknown.test' });
  });

  it('refuses a token without the permission as PermissionDenied, naming permission and method', async () => {
    const token = await issuer.token({ permissions: organizationPermissions });
    const error = await refusal(library.createBook({ name: 'b', version: '1.0.0' }, bearer(token)));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toBe('the token lacks the permission books:publish needed for bdk.v1.BookLibraryService/CreateBook');
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'warn',
        reason: 'permission_missing',
        method: 'bdk.v1.BookLibraryService/CreateBook',
        subject: 'alice',
        issuer: testIssuer,
      }),
    ]);
    expect(rawLogs.join('\n')).not.toContain(token);
  });

  it('passes a platform admin to a platform method', async () => {
    const token = await issuer.token({ subject: 'root', organizationId: undefined, permissions: ['books:publish'] });
    expect((await library.createBook({ name: 'b', version: '1.0.0' }, bearer(token))).name).toBe('root');
  });

  it('refuses a caller without an organisation where the handler needs one', async () => {
    const token = await issuer.token({ organizationId: undefined, permissions: ['instances:read'] });
    const error = await refusal(library.getBook({ bookId: 'b' }, bearer(token)));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toBe('the token carries no organisation (claim "org_id")');
  });

  it('refuses a method of a listed service that is not listed itself, whatever the token', async () => {
    const token = await issuer.token({ permissions: Object.values(permissions) });
    const error = await refusal(library.deleteBook({ bookId: 'b' }, bearer(token)));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toBe('bdk.v1.BookLibraryService/DeleteBook is not open to any caller');
    expect(logs).toEqual([expect.objectContaining({ level: 'warn', reason: 'method_not_configured', method: 'bdk.v1.BookLibraryService/DeleteBook' })]);
  });

  it('passes a public method without a token and without a principal', async () => {
    expect((await library.listBookInstances({ bookId: 'b' })).nextPageToken).toBe('anonymous');
    // A public method's handler asking for the caller is a server bug, not the caller's.
    const error = await refusal(library.getBookInstance({ bookId: 'b', instanceId: 'i' }));
    expect(error.code).toBe(Code.Internal);
  });

  it('answers Unavailable, not Unauthenticated, when the issuer\'s keys cannot be read', async () => {
    const verifier = createTokenVerifier(issuer.config({ jwksFile: `${issuer.dir}/absent.json` }));
    const logger = createLogger('auth-test', { write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) });
    const transport = createRouterTransport((router) => router.service(BookLibraryService, { listBooks: () => ({}) }), {
      router: { interceptors: [authInterceptor({ verifier, methods, logger })] },
    });
    const error = await refusal(createClient(BookLibraryService, transport).listBooks({}, bearer(await issuer.token())));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe('cannot verify the token now: signing keys unavailable');
    expect(error.rawMessage).not.toContain('absent.json');
    expect(logs).toEqual([expect.objectContaining({ level: 'warn', reason: 'jwks_unavailable', subject: 'alice', issuer: testIssuer })]);
    expect(String(logs[0]?.['detail'])).toContain('absent.json');
  });

  it('passes a service it was not told about (gRPC health) untouched', async () => {
    const response = await healthClient.check({ service: '' });
    expect(response.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
  });
});
