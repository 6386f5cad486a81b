// What the BookLibraryService handlers work with, as narrow interfaces so a spec can hand them fakes.
import type { HandlerContext } from '@connectrpc/connect';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { BdkResources } from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import type { Adoption } from './adoption/adoption.js';
import type { ControllerClient } from './instances/instance-secrets.js';
import { kubeFailure } from './kube-errors.js';
import type { PromptSource } from './books/model-manager.js';

export interface LibraryDeps {
  /** BDK's own namespace: BookDefinitions and BookInstanceDefinitions live here. */
  namespace: string;
  resources: Pick<BdkResources, 'books' | 'instances'>;
  /**
   * BookDefinitions applied without the API that have no book-id label yet (adoption/ is about to add it), by
   * metadata.uid; unset where nothing watches (unit specs).
   */
  unlabelledBooks?: Pick<Adoption, 'unlabelledBook'>;
  /** Read-only: who owns a customer namespace. */
  namespaces: Pick<CoreV1Api, 'readNamespace'>;
  /** The book controller writes instances' Secrets; this service never does. */
  controller: ControllerClient;
  prompts: PromptSource;
  logger: Logger;
  /** Customer namespaces must start with this, when set. */
  customerNamespacePrefix?: string;
  /** Public base URL of webhook senders' requests ('' gives path-only URLs). */
  webhookPublicUrl: string;
}

/** Runs one step against the Kubernetes API; a failure becomes its gRPC error (see kube-errors.ts). */
export async function kube<T>(deps: LibraryDeps, action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw kubeFailure(error, action, deps.logger);
  }
}

/** The sidecar's Lua filter turns this header into the HTTP status (envoy/sidecar.yaml): 201 Created. */
export function answerCreated(context: HandlerContext): void {
  context.responseHeader.set('x-bdk-http-status', '201');
}
