// UpdateBookInstance (AIP-134: the fields an update mask names), SuspendBookInstance and ResumeBookInstance: a
// read-modify-write of a BookInstanceDefinition's spec, conditional twice: on the etag the caller read (when it
// sends one) and on the resourceVersion read here, so a change made in between is never overwritten. The controller
// does the rest (the instance goes Updating, then Ready; a suspended one runs no Pods).
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { callerOrganization } from '@bdk/auth';
import { bdkLabels, highestMatching, isConflict, isExactVersion, isValidVersionRange, type BookDefinition, type BookInstanceDefinition, type BookInstanceDefinitionSpec } from '@bdk/k8s';
import { CreateBookInstanceRequestSchema, type BookInstance, type BookLibraryService } from '@bdk/proto';
import { kubeFailure } from '../kube-errors.js';
import { kube, type LibraryDeps } from '../library-deps.js';
import { invalidArgument, validateCreateBookInstance, validateId } from '../validation.js';
import { instanceEtag, instanceFromDefinition } from './instance-mapping.js';
import { findInstance } from './instances.js';

type UpdateHandlers = Pick<ServiceImpl<typeof BookLibraryService>, 'updateBookInstance' | 'suspendBookInstance' | 'resumeBookInstance'>;

type Spec = BookInstanceDefinitionSpec;
type CrDeployment = NonNullable<Spec['deployment']>;

/** How each updatable path sets its field of the spec from the request's instance. */
const updaters: Record<string, (spec: Spec, next: BookInstance) => void> = {
  'deployment.replicas': (spec, next) => {
    spec.deployment = { ...spec.deployment, replicas: next.deployment?.replicas ?? 0 };
  },
  'deployment.resources': (spec, next) => setResources(spec, { cpu: next.deployment?.resources?.cpu ?? '', memory: next.deployment?.resources?.memory ?? '' }),
  'deployment.resources.cpu': (spec, next) => setResources(spec, { ...spec.deployment?.resources, cpu: next.deployment?.resources?.cpu ?? '' }),
  'deployment.resources.memory': (spec, next) => setResources(spec, { ...spec.deployment?.resources, memory: next.deployment?.resources?.memory ?? '' }),
  'deployment.autoscaling': (spec, next) => {
    const autoscaling = next.deployment?.autoscaling;
    const deployment: CrDeployment = { ...spec.deployment };
    if (autoscaling) {
      deployment.autoscaling = {
        min_replicas: autoscaling.minReplicas || 1,
        max_replicas: autoscaling.maxReplicas,
        target_cpu_utilization: autoscaling.targetCpuUtilization || 80,
        ...(autoscaling.targetWebhookBacklog > 0 ? { target_webhook_backlog: autoscaling.targetWebhookBacklog } : {}),
      };
    } else {
      delete deployment.autoscaling;
    }
    spec.deployment = deployment;
  },
  configuration: (spec, next) => {
    const configuration = next.configuration;
    spec.configuration = configuration && {
      ...(configuration.environment ? { environment: configuration.environment } : {}),
      ...(configuration.logLevel ? { log_level: configuration.logLevel as NonNullable<Spec['configuration']>['log_level'] } : {}),
      ...(configuration.customSettings && Object.keys(configuration.customSettings).length > 0 ? { custom_settings: configuration.customSettings } : {}),
    };
    if (!spec.configuration) delete spec.configuration;
  },
  'configuration.environment': (spec, next) => setConfiguration(spec, 'environment', next.configuration?.environment || undefined),
  'configuration.log_level': (spec, next) => setConfiguration(spec, 'log_level', (next.configuration?.logLevel || undefined) as NonNullable<Spec['configuration']>['log_level']),
  'configuration.custom_settings': (spec, next) => {
    const settings = next.configuration?.customSettings;
    setConfiguration(spec, 'custom_settings', settings && Object.keys(settings).length > 0 ? settings : undefined);
  },
  'networking.tailscale': (spec, next) => {
    const tailscale = next.networking?.tailscale;
    spec.networking = { ...spec.networking, tailscale: tailscale?.enabled ? { enabled: true, tailnet: tailscale.tailnet } : { enabled: false } };
  },
  suspended: (spec, next) => {
    spec.suspended = next.suspended;
  },
};

/** Paths refused with the reason (the field exists but cannot change). */
const immutable: Record<string, string> = {
  'deployment.type': 'the deployment type is fixed at creation; create a new instance for another type',
  customer_namespace: 'an instance stays in its customer namespace; create a new instance for another one',
  organization_id: 'an instance belongs to its organisation for its whole life',
  credentials: 'credential values are changed with :rotate (POST .../credentials:rotate)',
};

function setResources(spec: Spec, resources: { cpu?: string; memory?: string }): void {
  const kept = Object.fromEntries(Object.entries(resources).filter(([, value]) => value)) as CrDeployment['resources'];
  const deployment: CrDeployment = { ...spec.deployment };
  if (kept && Object.keys(kept).length > 0) deployment.resources = kept;
  else delete deployment.resources;
  spec.deployment = deployment;
}

function setConfiguration<K extends keyof NonNullable<Spec['configuration']>>(spec: Spec, key: K, value: NonNullable<Spec['configuration']>[K] | undefined): void {
  const configuration = Object.fromEntries(Object.entries({ ...spec.configuration, [key]: value }).filter(([, v]) => v !== undefined));
  spec.configuration = configuration;
}

/** Refuses a stale etag: the caller's copy is older than the instance. */
function checkEtag(instance: BookInstanceDefinition, etag: string): void {
  if (etag !== '' && etag !== instanceEtag(instance)) {
    throw new ConnectError(`etag ${etag} is stale: the instance changed since it was read (its etag is ${instanceEtag(instance)}); read it again`, Code.Aborted);
  }
}

/**
 * What a version change points the instance at: for an exact version, the BookDefinition of the same book with it;
 * for a semver range, the book's name with the range, refused when no published version matches it now (the
 * controller resolves it and moves the instance as versions are published).
 */
async function bookVersion(deps: LibraryDeps, current: BookInstanceDefinition, version: string): Promise<{ bookRef: Spec['bookRef']; book: BookDefinition }> {
  const bookName = current.metadata.labels?.[bdkLabels.bookName];
  const { items } = await kube(deps, `find book versions of ${bookName ?? ''}`, () =>
    deps.resources.books.list(deps.namespace, { labelSelector: `${bdkLabels.bookName}=${bookName ?? ''}` }),
  );
  if (!isExactVersion(version)) {
    if (!isValidVersionRange(version)) {
      throw invalidArgument('book_ref.version', `must be a semantic version such as 1.2.0 or a semver range such as ^1.0.0, got "${version}"`);
    }
    const resolved = highestMatching(version, current.spec.customer.organization_id, items);
    if (!resolved) {
      throw new ConnectError(`book_ref.version: no published version of book ${bookName ?? ''} matches ${version}`, Code.FailedPrecondition);
    }
    return { bookRef: { name: resolved.spec.name, version }, book: resolved };
  }
  const book = items.find((candidate) => candidate.spec.version === version && !candidate.metadata.deletionTimestamp);
  if (!book) throw new ConnectError(`book_ref.version: book ${bookName ?? ''} has no version ${version}`, Code.FailedPrecondition);
  if (book.spec.lifecycle?.state === 'withdrawn') {
    throw new ConnectError(`book_ref.version: book ${bookName ?? ''} version ${version} is withdrawn and takes no instances`, Code.FailedPrecondition);
  }
  return { bookRef: { name: book.metadata.name ?? '', version: book.spec.version }, book };
}

export function instanceUpdateHandlers(deps: LibraryDeps): UpdateHandlers {
  const log = deps.logger;

  /** Writes `spec` (and labels) over the instance as read, refusing if anyone changed it meanwhile. */
  async function replace(current: BookInstanceDefinition, spec: Spec, labels: Record<string, string>): Promise<BookInstanceDefinition> {
    const name = current.metadata.name ?? '';
    try {
      return await deps.resources.instances.replace(deps.namespace, name, {
        ...current,
        metadata: { ...current.metadata, labels },
        spec,
      });
    } catch (error) {
      if (isConflict(error)) throw new ConnectError(`the instance changed while it was being updated; read it again`, Code.Aborted);
      throw kubeFailure(error, `update BookInstanceDefinition ${name}`, log);
    }
  }

  /**
   * As CreateBookInstance does: the version moved to may have begun deleting between its read and the write (the
   * book controller releases a book only once a quorum read finds no instance of it). Then the instance goes back
   * to the spec it had and the update is refused.
   */
  async function revertIfBookDeleting(updated: BookInstanceDefinition, previous: BookInstanceDefinition, book: BookDefinition): Promise<void> {
    const name = book.metadata.name ?? '';
    const current = await kube(deps, `read BookDefinition ${name}`, () => deps.resources.books.find(deps.namespace, name));
    if (current && current.metadata.uid === book.metadata.uid && !current.metadata.deletionTimestamp) return;
    await replace(updated, previous.spec, previous.metadata.labels ?? {});
    throw new ConnectError(`book_ref.version: book ${book.spec.name} version ${book.spec.version} is being deleted; it takes no instances`, Code.FailedPrecondition);
  }

  async function setSuspended(request: { bookId: string; instanceId: string; etag: string }, organizationId: string, suspended: boolean) {
    validateId(request.bookId, 'book_id');
    validateId(request.instanceId, 'instance_id');
    const current = await findInstance(deps, organizationId, request.bookId, request.instanceId);
    checkEtag(current, request.etag);
    if ((current.spec.suspended ?? false) === suspended) return { instance: instanceFromDefinition(current) };
    const updated = await replace(current, { ...current.spec, suspended }, current.metadata.labels ?? {});
    log.info(suspended ? 'suspended book instance' : 'resumed book instance', { instanceId: request.instanceId, bookId: request.bookId, organizationId });
    return { instance: instanceFromDefinition(updated) };
  }

  return {
    async updateBookInstance(request, context) {
      validateId(request.bookId, 'book_id');
      validateId(request.instanceId, 'instance_id');
      const paths = request.updateMask?.paths ?? [];
      if (paths.length === 0) throw invalidArgument('update_mask', 'is required: name the fields to change, e.g. "deployment.replicas"');
      const next = request.instance;
      if (!next) throw invalidArgument('instance', 'is required: it carries the new values of the fields update_mask names');
      for (const path of paths) {
        if (immutable[path]) throw invalidArgument(path, `cannot change: ${immutable[path]}`);
        if (!updaters[path] && path !== 'book_ref.version') {
          throw invalidArgument('update_mask', `"${path}" is not an updatable field; updatable: ${[...Object.keys(updaters), 'book_ref.version'].join(', ')}`);
        }
      }
      const organizationId = callerOrganization(context);
      const current = await findInstance(deps, organizationId, request.bookId, request.instanceId);
      checkEtag(current, next.etag);

      const spec: Spec = structuredClone(current.spec);
      for (const path of paths) updaters[path]?.(spec, next);
      const labels = { ...current.metadata.labels };
      let target: BookDefinition | undefined;
      if (paths.includes('book_ref.version')) {
        const version = next.bookRef?.version ?? '';
        if (version === '') throw invalidArgument('book_ref.version', 'is required when update_mask names it');
        const { bookRef, book } = await bookVersion(deps, current, version);
        target = book;
        spec.bookRef = bookRef;
        // A range keeps the book id the instance is found under; an exact version is found under its own book.
        if (isExactVersion(version)) labels[bdkLabels.bookId] = book.metadata.labels?.[bdkLabels.bookId] ?? book.metadata.uid ?? '';
      }
      // The result must be an instance CreateBookInstance would accept, with the same field names in its errors.
      const merged = instanceFromDefinition({ ...current, spec });
      validateCreateBookInstance(
        create(CreateBookInstanceRequestSchema, {
          bookId: labels[bdkLabels.bookId] ?? request.bookId,
          customerNamespace: merged.customerNamespace,
          organizationId: merged.organizationId,
          deployment: merged.deployment,
          networking: merged.networking,
          configuration: merged.configuration,
        }),
      );
      const updated = await replace(current, spec, labels);
      if (target) await revertIfBookDeleting(updated, current, target);
      log.info('updated book instance', { instanceId: request.instanceId, bookId: request.bookId, organizationId, fields: paths });
      return { instance: instanceFromDefinition(updated) };
    },

    suspendBookInstance: (request, context) => setSuspended(request, callerOrganization(context), true),
    resumeBookInstance: (request, context) => setSuspended(request, callerOrganization(context), false),
  };
}
