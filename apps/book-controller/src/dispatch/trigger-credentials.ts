// The credentials a trigger to a shared workload carries. A shared book's pods hold no customer's credentials, so
// each trigger brings those of the one instance it is for, read from that instance's Secrets in its customer
// namespace when the trigger is sent and kept nowhere.
import { isNotFound, type BookInstanceDefinition } from '@bdk/k8s';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { credentialReferences } from '../instance/credentials.js';
import { instanceIdOf } from '../instance/desired-objects.js';

/** Each credential's value by its name; a credential whose Secret or key is missing is left out. */
export type TriggerCredentials = (instance: BookInstanceDefinition, bookName: string) => Promise<Record<string, string>>;

export function createTriggerCredentials(kubeConfig: KubeConfig): TriggerCredentials {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (instance, bookName) => {
    const namespace = instance.spec.customer.namespace;
    const references = credentialReferences({ bookName, instanceId: instanceIdOf(instance) }, instance);
    const secrets = new Map<string, Record<string, string>>();
    const values: Record<string, string> = {};
    for (const [index, { secret, key }] of references.entries()) {
      if (!secrets.has(secret)) {
        try {
          secrets.set(secret, (await core.readNamespacedSecret({ namespace, name: secret })).data ?? {});
        } catch (error) {
          if (!isNotFound(error)) throw error;
          secrets.set(secret, {});
        }
      }
      const encoded = secrets.get(secret)?.[key];
      const name = instance.spec.credentials?.[index]?.name;
      if (encoded !== undefined && name) values[name] = Buffer.from(encoded, 'base64').toString('utf8');
    }
    return values;
  };
}

/** A JSON object as one header value: base64url, so any value fits a header line. */
export function headerJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
