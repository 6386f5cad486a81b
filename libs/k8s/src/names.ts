// Object names BDK derives from a book or an instance. Names are deterministic, so a second create of the same
// book version collides at the apiserver (409) instead of racing a lookup, and the controller and the API agree
// on where an instance's objects live without storing more references.

/** Longest name a Service (and so any object named like one) may have: an RFC 1035 label. */
const maxLabelLength = 63;

/** Lower case, every run of characters outside [a-z0-9-] as one '-', no leading or trailing '-'. */
function toDnsLabelPart(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function joinWithin(limit: number, [first, ...rest]: [string, ...string[]]): string {
  const suffix = rest.join('-');
  const head = first.slice(0, Math.max(1, limit - suffix.length - 1)).replace(/-+$/, '');
  return [head, suffix].filter(Boolean).join('-');
}

function shortId(id: string): string {
  return id.replace(/-/g, '').slice(0, 8);
}

/** metadata.name of the BookDefinition for a book name and version: `customer-support-1-0-0`. */
export function bookDefinitionName(name: string, version: string): string {
  return joinWithin(maxLabelLength, [toDnsLabelPart(name), toDnsLabelPart(version)]);
}

/** metadata.name of a BookInstanceDefinition: `<customer namespace>-<book name>-<first 8 of the instance id>`. */
export function bookInstanceName(customerNamespace: string, bookName: string, instanceId: string): string {
  return joinWithin(maxLabelLength, [`${toDnsLabelPart(customerNamespace)}-${toDnsLabelPart(bookName)}`, shortId(instanceId)]);
}

/** Name of the instance's Deployment, Service, ConfigMap and ExternalBookDefinition in the customer namespace. */
export function bookWorkloadName(bookName: string, instanceId: string): string {
  return joinWithin(maxLabelLength, [toDnsLabelPart(bookName), shortId(instanceId)]);
}

/** Name of the Secret in the customer namespace that holds an instance's credential values. */
export function credentialsSecretName(bookName: string, instanceId: string): string {
  return joinWithin(253, [bookWorkloadName(bookName, instanceId), 'credentials']);
}

/** Name of the Secret in the customer namespace that holds an instance's webhook signing secrets. */
export function webhookSigningSecretName(bookName: string, instanceId: string): string {
  return joinWithin(253, [bookWorkloadName(bookName, instanceId), 'webhook-signing']);
}

/** Environment variable a credential reaches the book as: `zendesk_api_key` → `ZENDESK_API_KEY`. */
export function credentialEnvName(credentialName: string): string {
  return credentialName.toUpperCase().replace(/[^A-Z0-9_]+/g, '_').replace(/^([0-9])/, '_$1');
}

/** Key within the credentials Secret for a credential: its name, restricted to the characters Secret keys allow. */
export function credentialSecretKey(credentialName: string): string {
  return credentialName.replace(/[^A-Za-z0-9._-]+/g, '_');
}
