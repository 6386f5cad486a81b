// Authentication as the charts render it: the JSON file BDK_AUTH_CONFIG names (one entry per identity provider,
// with its JWKS URL or the file where its JWKS Secret or ConfigMap is mounted read-only), the projected token the
// library-service and webhook-router present to the book-controller, the strict schema of the auth values, and
// the refusal to render without any identity provider.
import type { V1ConfigMap, V1Container, V1Deployment, V1Volume } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { assertGenerated, render, renderError, type RenderOptions } from './helm.js';

beforeAll(() => assertGenerated());

/** The charts whose apps authenticate public callers with JWTs. */
const authCharts = ['library-service', 'webhook-router'] as const;
type AuthChart = (typeof authCharts)[number];

interface AuthConfig {
  issuers: {
    issuer: string;
    audiences: string[];
    jwksUrl?: string;
    jwksFile?: string;
    organizationClaim: string;
    permissionsClaim: string;
  }[];
  clockToleranceSeconds: number;
}

const urlIssuer = {
  issuer: 'https://login.example.com/',
  audiences: ['bdk-api'],
  jwks: { url: 'https://login.example.com/.well-known/jwks.json' },
};
const secretIssuer = {
  issuer: 'https://idp.internal.example/',
  audiences: ['bdk-api', 'bdk-console'],
  jwks: { secretName: 'idp-jwks', key: 'jwks.json' },
  claims: { organization: 'tenant', permissions: 'roles' },
};
const configMapIssuer = {
  issuer: 'https://ci.internal.example',
  audiences: ['bdk-automation'],
  jwks: { configMapName: 'ci-issuer-jwks', key: 'keys.json' },
};

interface Pod {
  deployment: V1Deployment;
  app: V1Container;
  volumes: V1Volume[];
  configMaps: V1ConfigMap[];
}

async function renderPod(chart: AuthChart | 'bdk', options: RenderOptions, app: AuthChart = chart as AuthChart): Promise<Pod> {
  const rendered = await render(chart, options);
  const deployment = rendered.all<V1Deployment>('Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/name'] === app);
  const container = deployment?.spec?.template.spec?.containers.find((c) => c.name === app);
  if (!deployment || !container) throw new Error(`no ${app} Deployment rendered`);
  return { deployment, app: container, volumes: deployment.spec?.template.spec?.volumes ?? [], configMaps: rendered.all<V1ConfigMap>('ConfigMap') };
}

function envValue(container: V1Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

/** Where a file of a volume (by the volume item's path) appears in the app container, or why it does not. */
function mountedFile(pod: Pod, file: string): { volume: V1Volume; item: string; readOnly: boolean } | string {
  for (const mount of pod.app.volumeMounts ?? []) {
    const relative = path.posix.relative(mount.mountPath, file);
    if (relative.startsWith('..') || path.posix.isAbsolute(relative)) continue;
    const volume = pod.volumes.find((v) => v.name === mount.name);
    if (volume) return { volume, item: relative, readOnly: mount.readOnly === true };
  }
  return `${file} is on no mount of the app container`;
}

/** The parsed auth config the app reads: the ConfigMap key mounted where BDK_AUTH_CONFIG points. */
function authConfig(pod: Pod): AuthConfig {
  const file = envValue(pod.app, 'BDK_AUTH_CONFIG') ?? 'BDK_AUTH_CONFIG unset';
  const mounted = mountedFile(pod, file);
  if (typeof mounted === 'string') throw new Error(mounted);
  expect(mounted.readOnly).toBe(true);
  const key = mounted.volume.configMap?.items?.find((i) => i.path === mounted.item)?.key ?? `${mounted.item} not projected`;
  const configMap = pod.configMaps.find((c) => c.metadata?.name === mounted.volume.configMap?.name);
  const json = configMap?.data?.[key];
  if (json === undefined) throw new Error(`${file}: no ConfigMap key ${key} behind it`);
  return JSON.parse(json) as AuthConfig;
}

describe.each(authCharts)('%s', (chart) => {
  it('fails to render without an identity provider, saying authentication is mandatory and where to set one', async () => {
    const error = await renderError(chart, { valuesFiles: [] });
    expect(error).toMatch(new RegExp(`${chart}: authentication is mandatory`));
    expect(error).toMatch(/global\.auth\.issuers .*auth\.issuers/);
    expect(await renderError(chart, { valuesFiles: [], set: { 'global.auth': { issuers: [] } } })).toMatch(/authentication is mandatory/);
  });

  it('renders a JWKS URL issuer as jwksUrl, with the default claims and clock tolerance', async () => {
    const pod = await renderPod(chart, {});
    expect(authConfig(pod)).toEqual({
      issuers: [
        {
          issuer: 'https://login.example.com/',
          audiences: ['bdk-api'],
          jwksUrl: 'https://login.example.com/.well-known/jwks.json',
          organizationClaim: 'org_id',
          permissionsClaim: 'permissions',
        },
      ],
      clockToleranceSeconds: 30,
    });
    // No JWKS to mount: the app mounts only /tmp (and the router its deliveries volume), the auth config and the
    // controller token.
    const own = chart === 'webhook-router' ? ['deliveries'] : [];
    expect(pod.app.volumeMounts?.map((m) => m.name)).toEqual(['tmp', ...own, 'auth-config', 'controller-token']);
  });

  it('mounts Secret and ConfigMap JWKS read-only where each jwksFile points, the key as the file', async () => {
    const pod = await renderPod(chart, { set: { 'auth.issuers': [urlIssuer, secretIssuer, configMapIssuer], 'auth.clockToleranceSeconds': 0 } });
    const config = authConfig(pod);
    expect(config.clockToleranceSeconds).toBe(0);
    expect(config.issuers.map((i) => [i.issuer, i.audiences, i.organizationClaim, i.permissionsClaim, i.jwksUrl])).toEqual([
      [urlIssuer.issuer, urlIssuer.audiences, 'org_id', 'permissions', urlIssuer.jwks.url],
      [secretIssuer.issuer, secretIssuer.audiences, 'tenant', 'roles', undefined],
      [configMapIssuer.issuer, configMapIssuer.audiences, 'org_id', 'permissions', undefined],
    ]);
    const [, fromSecret, fromConfigMap] = config.issuers;
    const secretFile = mountedFile(pod, fromSecret?.jwksFile ?? 'no jwksFile');
    const configMapFile = mountedFile(pod, fromConfigMap?.jwksFile ?? 'no jwksFile');
    if (typeof secretFile === 'string') throw new Error(secretFile);
    if (typeof configMapFile === 'string') throw new Error(configMapFile);
    expect(secretFile.readOnly).toBe(true);
    expect(secretFile.volume.secret?.secretName).toBe('idp-jwks');
    expect(secretFile.volume.secret?.items).toEqual([{ key: 'jwks.json', path: secretFile.item }]);
    expect(configMapFile.readOnly).toBe(true);
    expect(configMapFile.volume.configMap?.name).toBe('ci-issuer-jwks');
    expect(configMapFile.volume.configMap?.items).toEqual([{ key: 'keys.json', path: configMapFile.item }]);
    // Whole-directory mounts: a subPath mount would never see a rotated key set.
    expect(pod.app.volumeMounts?.filter((m) => m.subPath !== undefined)).toEqual([]);
    expect(pod.app.volumeMounts?.find((m) => m.name === secretFile.volume.name)?.mountPath).not.toBe(
      pod.app.volumeMounts?.find((m) => m.name === configMapFile.volume.name)?.mountPath,
    );
  });

  it('reads global.auth when its own auth names no issuer, and its own auth when it does', async () => {
    const fromGlobal = await renderPod(chart, { valuesFiles: [], set: { 'global.auth': { issuers: [secretIssuer], clockToleranceSeconds: 15 } } });
    expect(authConfig(fromGlobal).issuers.map((i) => i.issuer)).toEqual([secretIssuer.issuer]);
    expect(authConfig(fromGlobal).clockToleranceSeconds).toBe(15);
    const own = await renderPod(chart, { set: { 'global.auth': { issuers: [secretIssuer], clockToleranceSeconds: 15 } } });
    expect(authConfig(own).issuers.map((i) => i.issuer)).toEqual([urlIssuer.issuer]);
    expect(authConfig(own).clockToleranceSeconds).toBe(30);
  });

  it('refuses an identity provider listed twice, as the app would at start', async () => {
    const error = await renderError(chart, { set: { 'auth.issuers': [urlIssuer, { ...secretIssuer, issuer: urlIssuer.issuer }] } });
    expect(error).toMatch(new RegExp(`${chart}: the issuer https://login.example.com/ is listed twice`));
  });

  it('presents the book-controller a projected token for its audience, valid one hour, read-only', async () => {
    const pod = await renderPod(chart, {});
    const file = envValue(pod.app, 'BDK_CONTROLLER_TOKEN_FILE');
    expect(file).toBe('/var/run/secrets/bdk/controller-token/token');
    const mounted = mountedFile(pod, file ?? '');
    if (typeof mounted === 'string') throw new Error(mounted);
    expect(mounted.readOnly).toBe(true);
    expect(mounted.volume.projected?.sources).toEqual([
      { serviceAccountToken: { audience: 'bdk-book-controller', expirationSeconds: 3600, path: mounted.item } },
    ]);
  });

  it('rolls the pods when the auth config changes', async () => {
    const checksum = (pod: Pod) => pod.deployment.spec?.template.metadata?.annotations?.['checksum/auth-config'];
    const before = checksum(await renderPod(chart, {}));
    expect(before).toMatch(/^[a-f0-9]{64}$/);
    expect(checksum(await renderPod(chart, { set: { 'auth.clockToleranceSeconds': 5 } }))).not.toBe(before);
  });

  describe('values.schema.json', () => {
    const refused = async (issuer: unknown) => renderError(chart, { set: { 'auth.issuers': [issuer] } });

    it('takes exactly one JWKS form per issuer', async () => {
      expect(await refused({ ...urlIssuer, jwks: { url: urlIssuer.jwks.url, secretName: 'idp-jwks', key: 'jwks.json' } })).toMatch(/auth\/issuers\/0\/jwks': 'oneOf' failed/);
      expect(await refused({ ...urlIssuer, jwks: {} })).toMatch(/auth\/issuers\/0\/jwks': 'oneOf' failed/);
      expect(await refused({ ...urlIssuer, jwks: { secretName: 'idp-jwks' } })).toMatch(/auth\/issuers\/0\/jwks': 'oneOf' failed/);
    });

    it('fetches JWKS over https only', async () => {
      expect(await refused({ ...urlIssuer, jwks: { url: 'http://login.example.com/jwks.json' } })).toMatch(/jwks\/url': 'http:\/\/login\.example\.com\/jwks\.json' does not match pattern/);
    });

    it('needs an issuer and at least one audience, and refuses a misspelt issuer key', async () => {
      expect(await refused({ ...urlIssuer, audiences: [] })).toMatch(/auth\/issuers\/0\/audiences': minItems/);
      expect(await refused({ audiences: ['bdk-api'], jwks: urlIssuer.jwks })).toMatch(/auth\/issuers\/0': missing property 'issuer'/);
      expect(await refused({ ...urlIssuer, audience: 'bdk-api' })).toMatch(/additional properties 'audience' not allowed/);
      expect(await refused({ ...urlIssuer, claims: { organisation: 'org' } })).toMatch(/additional properties 'organisation' not allowed/);
    });

    it('checks global.auth as strictly', async () => {
      const error = await renderError(chart, { valuesFiles: [], set: { 'global.auth': { issuers: [urlIssuer], clockTolerance: 5 } } });
      expect(error).toMatch(/at '\/global\/auth': additional properties 'clockTolerance' not allowed/);
    });
  });
});

describe('bdk umbrella', () => {
  it('fails to render without an identity provider while an authenticating app is enabled', async () => {
    expect(await renderError('bdk', { valuesFiles: [] })).toMatch(/authentication is mandatory/);
    expect(await renderError('bdk', { valuesFiles: [], set: { 'library-service.enabled': false } })).toMatch(/webhook-router: authentication is mandatory/);
    const controllerOnly = await render('bdk', { valuesFiles: [], set: { 'library-service.enabled': false, 'webhook-router.enabled': false } });
    expect(controllerOnly.all('Deployment').map((d) => d.metadata.name)).toEqual(['bdk-book-controller']);
  });

  it('gives both apps the same auth config from global.auth, with each JWKS Secret mounted in both', async () => {
    const options = { valuesFiles: ['ci/jwks-secret-values.yaml'] };
    const api = await renderPod('bdk', options, 'library-service');
    const router = await renderPod('bdk', options, 'webhook-router');
    expect(authConfig(api)).toEqual(authConfig(router));
    expect(authConfig(api).issuers.map((i) => i.issuer)).toEqual(['https://idp.internal.example/', 'https://ci.internal.example']);
    for (const pod of [api, router]) {
      const file = mountedFile(pod, authConfig(pod).issuers[0]?.jwksFile ?? 'no jwksFile');
      if (typeof file === 'string') throw new Error(file);
      expect(file.volume.secret?.secretName).toBe('idp-jwks');
    }
  });

  it('renders a JWKS URL scenario with the claims each provider uses', async () => {
    const config = authConfig(await renderPod('bdk', { valuesFiles: ['ci/jwks-url-values.yaml'] }, 'library-service'));
    expect(config.issuers.map((i) => [i.jwksUrl, i.organizationClaim, i.permissionsClaim])).toEqual([
      ['https://tenant.auth.example.com/.well-known/jwks.json', 'org_id', 'permissions'],
      ['https://sso.partner.example/realms/bdk/protocol/openid-connect/certs', 'tenant', 'scope_list'],
    ]);
    expect(config.clockToleranceSeconds).toBe(5);
  });

  it('refuses a misspelt key in global.auth with its own schema', async () => {
    const error = await renderError('bdk', { set: { 'global.auth.issuers': [{ ...urlIssuer, jwks: { uri: 'https://x.example/jwks' } }] } });
    expect(error).toMatch(/^bdk:$/m);
    expect(error).toMatch(/global\/auth\/issuers\/0\/jwks': 'oneOf' failed/);
  });
});
