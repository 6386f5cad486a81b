// The BDK side: the local stack as `npm start` runs it (a real kube-apiserver with the controller-manager, scheduler
// and kwok's fake Nodes, the book controller, library-service and webhook-router with their Envoy sidecars, the Envoy
// gateway) on loopback, with one book and one instance created through the gateway as a customer would, ready once its
// Pods run. Its triggers go to the benchmark's book endpoint.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { issueToken, localAuthDir, organizationPermissions, platformAdminPermissions, readLocalSigningKey } from '@bdk/auth';
import { seedCreateBookRequest, seedCreateInstanceRequest, startLocalStack, waitForRollout, waitUntil, type LocalStack } from '@bdk/testing';

export interface BdkSide {
  /** The instance's webhook URL, from its creation answer. */
  url: string;
  /** The instance's webhook signing secret, from its creation answer. */
  secret: string;
  /** The pid of each process the stack supervises, by name (to tell CPU profiles apart). */
  processIds(): Promise<Record<string, number>>;
  /** The local stack's own process, parent of all the others. */
  stackPid: number;
  stop(): Promise<void>;
}

export interface BdkSideOptions {
  /** Where the book endpoint listens. */
  bookPort: number;
  /** When set, the stack's Node processes write CPU profiles here. */
  profileDir?: string;
  log: (line: string) => void;
}

const instanceRequest = seedCreateInstanceRequest;
const bookRequest = { ...seedCreateBookRequest, integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }] };

export async function startBdk(options: BdkSideOptions): Promise<BdkSide> {
  const { KUBECONFIG: _ownCluster, ...env } = process.env;
  options.log('starting the local stack (kube-apiserver, the three apps, their sidecars, the gateway) ...');
  const stack = await startLocalStack({
    env: {
      ...env,
      BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${options.bookPort}/{namespace}/{service}`,
      ...(options.profileDir ? { NODE_OPTIONS: `${env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${path.resolve(options.profileDir)}`.trim() } : {}),
    },
  });
  try {
    const { url, secret } = await createReadyInstance(stack, options.log);
    return { url, secret, processIds: () => supervisedPids(stack.stateDir), stackPid: stack.process.pid, stop: () => stack.stop() };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

async function createReadyInstance(stack: LocalStack, log: (line: string) => void): Promise<{ url: string; secret: string }> {
  const key = await readLocalSigningKey(localAuthDir(stack.stateDir));
  if (!key) throw new Error('the local stack wrote no signing key');
  const token = (subject: string, organizationId: string | undefined, permissions: readonly string[]) =>
    issueToken({ key, issuer: key.issuer, audience: key.audience, subject, organizationId, permissions });
  const admin = await token('platform-admin', undefined, platformAdminPermissions);
  const member = await token('bench', instanceRequest.organization_id, organizationPermissions);

  const call = async (method: string, route: string, bearer: string, body?: unknown) => {
    const response = await fetch(`${stack.gatewayUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  const book = await call('POST', '/api/v1/books', admin, bookRequest);
  const bookId = String(book['book_id']);
  const instance = await call('POST', `/api/v1/books/${bookId}/instances`, member, instanceRequest);
  const instanceId = String(instance['instance_id']);
  const webhook = (instance['webhooks'] as { source: string; url: string; signing_secret: string }[] | undefined)?.find((each) => each.source === 'zendesk');
  if (!webhook) throw new Error(`the instance was created without a zendesk webhook: ${JSON.stringify(instance)}`);
  log(`created book ${bookId} and instance ${instanceId}; waiting for its Pods`);

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(stack.kubeconfig);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const namespace = instanceRequest.customer_namespace;
  const deployment = await waitUntil(
    "the instance's Deployment",
    async () => (await apps.listNamespacedDeployment({ namespace, labelSelector: `bdk.voyager.io/instance-id=${instanceId}` })).items[0],
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  await waitForRollout(kubeConfig, namespace, deployment.metadata?.name ?? '');
  await waitUntil(
    'the instance to be Ready',
    async () => {
      const read = await call('GET', `/api/v1/books/${bookId}/instances/${instanceId}`, member);
      return (read['instance'] as { status?: { phase?: string } } | undefined)?.status?.phase === 'Ready';
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  return { url: webhook.url, secret: webhook.signing_secret };
}

/** The stack's pid files (<state dir>/run/<name>.pid), one per supervised process. */
async function supervisedPids(stateDir: string): Promise<Record<string, number>> {
  const runDir = path.join(stateDir, 'run');
  const pids: Record<string, number> = {};
  for (const file of await readdir(runDir).catch(() => [] as string[])) {
    if (!file.endsWith('.pid')) continue;
    pids[file.slice(0, -'.pid'.length)] = Number((await readFile(path.join(runDir, file), 'utf8')).trim());
  }
  return pids;
}
