// What the library-service integration suites share: the spec's REST bodies, a fake Model Manager (a real
// connect-node gRPC server on loopback), and a way to make the apiserver refuse an instance (an admission policy).
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { AdmissionregistrationV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { modelmanager } from '@bdk/proto';
import { waitUntil } from '@bdk/testing';

/** The spec's request bodies (docs/spec.md, "REST API"). */
export { seedCreateBookRequest as seedBook, seedCreateInstanceRequest as seedInstance } from '@bdk/testing';

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The prompts the fake Model Manager serves for customer-support 1.0.0. */
export const seedPrompts = [
  { name: 'triage', version: '3', template: 'Classify this ticket: {{subject}}', model: 'gpt-4o' },
  { name: 'reply', version: '1', template: 'Draft a reply to {{customer_id}}' },
];

/** Book names the fake Model Manager fails for, with the error it answers. */
export const modelManagerFailures: Record<string, Code> = { 'flaky-book': Code.Unavailable };

export interface FakeModelManager {
  readonly url: string;
  readonly calls: { bookName: string; bookVersion: string }[];
  close(): Promise<void>;
}

export async function startFakeModelManager(): Promise<FakeModelManager> {
  const calls: FakeModelManager['calls'] = [];
  const routes = (router: ConnectRouter) =>
    router.service(modelmanager.PromptService, {
      getBookPrompts(request) {
        calls.push({ bookName: request.bookName, bookVersion: request.bookVersion });
        const failure = modelManagerFailures[request.bookName];
        if (failure !== undefined) throw new ConnectError('prompt store offline', failure);
        if (request.bookName === 'customer-support' && request.bookVersion === '1.0.0') return { prompts: seedPrompts };
        throw new ConnectError(`no prompts for ${request.bookName}`, Code.NotFound);
      },
    });
  const server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Organization the admission policy refuses: a CreateBookInstance for it fails at the CR, after the Secret. */
export const refusedOrganization = 'org-refused';

/**
 * A ValidatingAdmissionPolicy that refuses BookInstanceDefinitions of `refusedOrganization`, like a cluster's own
 * policy could; resolves once the apiserver enforces it (policies apply asynchronously).
 */
export async function refuseInstancesOfOrganization(kubeConfig: KubeConfig, namespace: string): Promise<void> {
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name: 'refuse-test-organization' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [{ apiGroups: ['bdk.voyager.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['bookinstancedefinitions'] }],
        },
        validations: [
          {
            expression: `object.spec.customer.organization_id != '${refusedOrganization}'`,
            message: `organization ${refusedOrganization} is refused by policy`,
            reason: 'Invalid',
          },
        ],
      },
    },
  });
  await admission.createValidatingAdmissionPolicyBinding({
    body: { metadata: { name: 'refuse-test-organization' }, spec: { policyName: 'refuse-test-organization', validationActions: ['Deny'] } },
  });
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);
  const probe = {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name: 'policy-probe' },
    spec: { bookRef: { name: 'probe', version: '1.0.0' }, customer: { namespace: 'probe', organization_id: refusedOrganization } },
  };
  await waitUntil('the admission policy to refuse instances', async () => {
    try {
      await objects.createNamespacedCustomObject({ group: 'bdk.voyager.io', version: 'v1', plural: 'bookinstancedefinitions', namespace, body: probe, dryRun: 'All' });
      return false;
    } catch (error) {
      // Anything but the policy's refusal (the namespace missing, say) would make this wait pointless.
      if (String(error).includes('refused by policy')) return true;
      throw error;
    }
  });
}
