// Turning a failed Kubernetes API call into the one gRPC error the client gets. Only what the client can act on
// reaches it (the apiserver's own validation message, "try again later"); anything else is logged here with its
// cause and answered as a bare INTERNAL.
import { Code, ConnectError } from '@connectrpc/connect';
import { kubeStatusCode } from '@bdk/k8s';
import { BadRequestSchema, ErrorInfoSchema } from '@bdk/proto';
import type { Logger } from '@bdk/service-runtime';
import { errorDomain } from './validation.js';

/** ErrorInfo.reason of an object the apiserver refused (its validation or an admission policy). */
export const kubeRefusedReason = 'KUBERNETES_API_REFUSED';

// Socket-level failures reaching the apiserver: it is down, restarting or unreachable.
const networkErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const undiciUnavailable = /^UND_ERR_(CONNECT_TIMEOUT|SOCKET|CLOSED|HEADERS_TIMEOUT|BODY_TIMEOUT)$/;

function isNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 4 || error === null || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (networkErrorCodes.has(code) || undiciUnavailable.test(code))) return true;
  // undici's fetch throws TypeError('fetch failed') with the socket error as its cause (possibly an AggregateError).
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.some((inner) => isNetworkError(inner, depth + 1))) return true;
  return isNetworkError(cause, depth + 1);
}

interface KubeStatusBody {
  message?: unknown;
  details?: { causes?: { field?: unknown; message?: unknown }[] };
}

function kubeStatusBody(error: unknown): KubeStatusBody | undefined {
  let body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  return body !== null && typeof body === 'object' ? (body as KubeStatusBody) : undefined;
}

/** The `message` of the apiserver's Status body, when the error carries one. */
export function kubeStatusMessage(error: unknown): string | undefined {
  const message = kubeStatusBody(error)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** The fields the apiserver's Status names (details.causes), in the object's own paths (spec.deployment.replicas). */
function kubeFieldViolations(error: unknown): { field: string; description: string }[] {
  return (kubeStatusBody(error)?.details?.causes ?? []).flatMap((cause) =>
    typeof cause.field === 'string' && cause.field !== '' ? [{ field: cause.field, description: typeof cause.message === 'string' ? cause.message : '' }] : [],
  );
}

/**
 * The gRPC error for a Kubernetes API failure during `action` (e.g. "create BookDefinition customer-support-1-0-0").
 * A ConnectError thrown by our own code passes through unchanged, so this can wrap a whole handler.
 */
export function kubeFailure(error: unknown, action: string, logger: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  const status = kubeStatusCode(error);
  const message = kubeStatusMessage(error);
  if (isNetworkError(error) || (status !== undefined && (status >= 500 || status === 429))) {
    logger.warn('Kubernetes API unavailable', { action, status, reason: message ?? describe(error) });
    return new ConnectError(`Kubernetes API unavailable, try again later (${action})`, Code.Unavailable);
  }
  // Our validation mirrors the CRDs, so this is rare (an admission policy, a CRD newer than this service): the
  // apiserver's message names the field and holds no secret (values go to Secrets' data, which it never echoes).
  if (status === 422 || status === 400) {
    logger.warn('Kubernetes API refused the object', { action, status, reason: message });
    const violations = kubeFieldViolations(error);
    return new ConnectError(message ?? `the Kubernetes API refused to ${action}`, Code.InvalidArgument, undefined, [
      ...(violations.length > 0 ? [{ desc: BadRequestSchema, value: { fieldViolations: violations } }] : []),
      { desc: ErrorInfoSchema, value: { reason: kubeRefusedReason, domain: errorDomain, metadata: { status: String(status) } } },
    ]);
  }
  logger.error('Kubernetes API call failed', { action, status, reason: message ?? describe(error) });
  // The cause stays on the error for the log; connect sends only the message, which says nothing internal.
  return new ConnectError(`internal error: could not ${action}`, Code.Internal, undefined, undefined, error);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
