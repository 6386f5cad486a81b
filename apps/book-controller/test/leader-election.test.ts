// Two built book-controller processes against a real kube-apiserver, with leader election on short timings
// (lease 3 s, renew deadline 2 s, retry 0.5 s): the first holds the Lease and reconciles; the standby keeps its
// caches and answers DispatchTrigger, but reconciles nothing. Killed with SIGKILL (nothing released), the leader is
// replaced by the standby within lease duration + retry period, and the standby reconciles a new instance.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bdkLabels, bdkResources, bookWorkloadName, type BdkResources, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { startApp, startKubeEnv, waitUntil, type KubeEnv, type RunningApp } from '@bdk/testing';
import { AppsV1Api, CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { controllerClient, credentialsSecret, customerNamespaceLabels, seedBook, seedInstance, seedOrganization, serviceAccountToken } from './fixtures.js';

const bdkNamespace = 'bdk';
const customerNamespace = 'customer-acme';
const lease = { leaseDurationMs: 3_000, retryPeriodMs: 500 };

let env: KubeEnv | undefined;
let leader: RunningApp | undefined;
let standby: RunningApp | undefined;
let bookServer: http.Server | undefined;
let bookUrl = '';
let resources: BdkResources;
let book: BookDefinition;
const posted: string[] = [];

function kube() {
  if (!env) throw new Error('the kube env did not start');
  return env.kubeConfig;
}

const startController = (pod: string) =>
  startApp('book-controller', {
    KUBECONFIG: env?.kubeconfigPath ?? '',
    BDK_NAMESPACE: bdkNamespace,
    BDK_BOOK_URL_TEMPLATE: bookUrl,
    POD_NAME: pod,
    BDK_LEADER_ELECTION_LEASE_DURATION_MS: String(lease.leaseDurationMs),
    BDK_LEADER_ELECTION_RENEW_DEADLINE_MS: '2000',
    BDK_LEADER_ELECTION_RETRY_PERIOD_MS: String(lease.retryPeriodMs),
  });

/** The Lease's holder, or undefined while there is no Lease. */
async function holder(): Promise<string | undefined> {
  try {
    return (await kube().makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: bdkNamespace, name: 'book-controller' })).spec?.holderIdentity;
  } catch {
    return undefined;
  }
}

/** One sample of the running controller's /metrics, by series. */
async function metric(app: RunningApp, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${app.adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}
const reconciles = async (app: RunningApp) => (await metric(app, 'bdk_controller_reconcile_total{controller="bookinstancedefinition",result="success"')) ?? 0;
const leading = (app: RunningApp) => metric(app, 'leader_election_master_status{name="book-controller"');

/** An instance in the customer namespace, with its credentials Secret in place as StoreInstanceSecrets leaves it. */
async function createInstance(): Promise<BookInstanceDefinition> {
  const instance = seedInstance({ namespace: bdkNamespace, customerNamespace, book, instanceId: randomUUID() });
  await kube()
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace: customerNamespace, body: credentialsSecret(instance, book, { zendesk_api_key: 'zd-value', slack_bot_token: 'xoxb-value' }) });
  return resources.instances.create(bdkNamespace, instance);
}

const deploymentOf = (instance: BookInstanceDefinition) =>
  kube()
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ namespace: customerNamespace, name: bookWorkloadName(book.spec.name, instance.metadata.labels?.[bdkLabels.instanceId] ?? '') });

beforeAll(async () => {
  bookServer = http.createServer((request, response) => {
    posted.push(request.url ?? '');
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => bookServer?.listen(0, '127.0.0.1', resolve));
  bookUrl = `http://127.0.0.1:${(bookServer.address() as AddressInfo).port}`;

  env = await startKubeEnv();
  resources = bdkResources(env.kubeConfig);
  const core = env.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: bdkNamespace } } });
  await core.createNamespace({ body: { metadata: { name: customerNamespace, labels: customerNamespaceLabels(seedOrganization) } } });
  book = await resources.books.create(bdkNamespace, seedBook(bdkNamespace, randomUUID()));

  // The first process takes the Lease before the second starts, so which one leads is known.
  leader = await startController('controller-a');
  await waitUntil('the first controller to hold the Lease', async () => (await holder())?.startsWith('controller-a_'));
  standby = await startController('controller-b');
}, 120_000);

afterAll(async () => {
  await leader?.stop();
  await standby?.stop();
  await env?.stop();
  await new Promise((resolve) => bookServer?.close(resolve));
}, 60_000);

describe('book-controller leader election', () => {
  it('reconciles on the leader only; the standby keeps warm caches and answers DispatchTrigger', async () => {
    if (!leader || !standby) throw new Error('the controllers did not start');
    const instance = await createInstance();
    await waitUntil('the leader to create the book Deployment', () => deploymentOf(instance));
    const first = leader;
    await waitUntil('the leader to count its reconcile', async () => (await reconciles(first)) > 0);
    expect(await leading(leader)).toBe(1);

    // The standby saw the instance (its cache answers the router) but queued and reconciled nothing.
    const token = await serviceAccountToken(kube(), bdkNamespace, 'webhook-router');
    const dispatch = await controllerClient(standby.grpcPort, token).dispatchTrigger({
      webhookId: 'wh-standby',
      source: 'zendesk',
      event: 'ticket.created',
      payload: Buffer.from('{"ticket":{"id":"1"}}'),
      contentType: 'application/json',
      targets: [{ namespace: bdkNamespace, name: instance.metadata.name ?? '' }],
    });
    expect(dispatch.results).toEqual([expect.objectContaining({ delivered: true, httpStatus: 200 })]);
    expect(posted).toContain('/webhooks/zendesk');
    expect(await leading(standby)).toBe(0);
    expect(await reconciles(standby)).toBe(0);
    expect(await metric(standby, 'workqueue_adds_total{name="bookinstancedefinition"')).toBe(0);
    expect(await holder()).toMatch(/^controller-a_/);
  }, 60_000);

  it('hands over to the standby within lease duration + retry period when the leader is killed', async () => {
    if (!leader || !standby) throw new Error('the controllers did not start');
    const running = standby;
    process.kill(leader.process.pid, 'SIGKILL');
    const killedAt = Date.now();
    await leader.process.exited;
    await waitUntil('the standby to hold the Lease', async () => (await holder())?.startsWith('controller-b_'), { intervalMs: 50, timeoutMs: 15_000 });
    const tookMs = Date.now() - killedAt;
    // The killed leader released nothing: the standby waited for its lease to run out, and then took it at its next
    // try. The slack above that is this test's own polling and a loaded machine's scheduling, not the elector's.
    expect(tookMs).toBeGreaterThanOrEqual(lease.leaseDurationMs - lease.retryPeriodMs);
    expect(tookMs).toBeLessThan(lease.leaseDurationMs + lease.retryPeriodMs + 1_500);
    await waitUntil('the new leader to report it', async () => (await leading(running)) === 1);

    const instance = await createInstance();
    await waitUntil('the new leader to create the new instance\u2019s Deployment', () => deploymentOf(instance));
    await waitUntil('the new leader to count its reconcile', async () => (await reconciles(running)) > 0);
    expect(running.process.output()).toContain('became leader');
  }, 60_000);
});
