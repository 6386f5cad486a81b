// Credential values and webhook signing secrets go to the book controller, which alone writes Secrets into customer
// namespaces (this public-facing service may not). The values pass through here once and are never stored or logged.
import { randomBytes } from 'node:crypto';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { BookControllerService, StoreInstanceSecretsResponse, WebhookSecretUpdateSchema } from '@bdk/proto';
import type { Logger } from '@bdk/service-runtime';

/** A value for a generated credential: 256 random bits, URL-safe base64 (43 characters). */
export function generateCredentialValue(): string {
  return randomBytes(32).toString('base64url');
}

export interface SecretsWrite {
  /** metadata.name of the BookInstanceDefinition (in BDK's namespace). */
  instanceName: string;
  organizationId: string;
  /** Who asked, for the controller's audit log. */
  actor: string;
  reason: 'create' | 'rotate';
  /** Values by credential name. */
  credentials: Record<string, string>;
  webhookSecrets: MessageInitShape<typeof WebhookSecretUpdateSchema>[];
}

export type ControllerClient = Pick<Client<typeof BookControllerService>, 'storeInstanceSecrets'>;

// Codes the controller answers that the caller may retry, or that mean it cannot be reached.
const unavailableCodes = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Unknown]);

/**
 * Hands the values to the controller. Its refusals the client can act on keep their code (a namespace another
 * organisation took first: PERMISSION_DENIED); the controller out of reach is UNAVAILABLE; anything else is logged
 * and INTERNAL, with nothing of the values in either.
 */
export async function storeInstanceSecrets(
  controller: ControllerClient,
  namespace: string,
  write: SecretsWrite,
  logger: Logger,
): Promise<StoreInstanceSecretsResponse> {
  try {
    return await controller.storeInstanceSecrets(
      {
        instance: { namespace, name: write.instanceName },
        organizationId: write.organizationId,
        actor: write.actor,
        reason: write.reason,
        credentials: write.credentials,
        webhookSecrets: write.webhookSecrets,
      },
      { timeoutMs: 15_000 },
    );
  } catch (error) {
    const cause = ConnectError.from(error);
    if (cause.code === Code.PermissionDenied || cause.code === Code.FailedPrecondition || cause.code === Code.InvalidArgument) {
      throw new ConnectError(cause.rawMessage, cause.code);
    }
    if (unavailableCodes.has(cause.code)) {
      logger.warn('book controller unavailable for secrets', { instance: write.instanceName, code: Code[cause.code], reason: cause.rawMessage });
      throw new ConnectError('the book controller is unavailable, try again later', Code.Unavailable);
    }
    logger.error('book controller refused the secrets write', { instance: write.instanceName, code: Code[cause.code], reason: cause.rawMessage });
    throw new ConnectError('internal error: could not store the instance secrets', Code.Internal, undefined, undefined, error);
  }
}
