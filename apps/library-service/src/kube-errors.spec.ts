import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { createLogger } from '@bdk/service-runtime';
import { BadRequestSchema, ErrorInfoSchema } from '@bdk/proto';
import { kubeFailure } from './kube-errors.js';

const lines: string[] = [];
const logger = createLogger('library-service', { write: (line) => lines.push(line) });

function apiException(code: number, message: string) {
  return new ApiException(code, 'failed', JSON.stringify({ kind: 'Status', status: 'Failure', message, code }), {});
}

describe('kubeFailure', () => {
  it('answers UNAVAILABLE when the apiserver refuses connections (undici: fetch failed, cause ECONNREFUSED)', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
    const error = kubeFailure(refused, 'create BookDefinition b-1-0-0', logger);
    expect(error.code).toBe(Code.Unavailable);
  });

  it.each([500, 503, 504, 429])('answers UNAVAILABLE for an apiserver %i', (status) => {
    expect(kubeFailure(apiException(status, 'etcdserver: request timed out'), 'list BookDefinitions', logger).code).toBe(Code.Unavailable);
  });

  it("answers INVALID_ARGUMENT with the apiserver's message for a 422", () => {
    const error = kubeFailure(apiException(422, 'spec.customer.organization_id: Invalid value'), 'create BookInstanceDefinition x', logger);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe('spec.customer.organization_id: Invalid value');
  });

  it("names the fields of the apiserver's causes in google.rpc.BadRequest, with ErrorInfo KUBERNETES_API_REFUSED", () => {
    const body = {
      kind: 'Status',
      status: 'Failure',
      code: 422,
      message: 'BookInstanceDefinition.bdk.voyager.io "x" is invalid: spec.deployment.replicas: Invalid value: 200',
      details: { causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 200: must be at most 100', field: 'spec.deployment.replicas' }] },
    };
    const error = kubeFailure(new ApiException(422, 'failed', JSON.stringify(body), {}), 'create BookInstanceDefinition x', logger);
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map(({ field, description }) => ({ field, description }))).toEqual([
      { field: 'spec.deployment.replicas', description: 'Invalid value: 200: must be at most 100' },
    ]);
    expect(error.findDetails(ErrorInfoSchema).map(({ reason, domain }) => ({ reason, domain }))).toEqual([{ reason: 'KUBERNETES_API_REFUSED', domain: 'bdk.voyager.io' }]);
  });

  it('answers a bare INTERNAL for anything else, keeping the cause for the log only', () => {
    const cause = apiException(403, 'secrets is forbidden: User "system:serviceaccount:bdk:library-service" cannot create');
    const error = kubeFailure(cause, 'create Secret customer-acme/x', logger);
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe('internal error: could not create Secret customer-acme/x');
    expect(error.cause).toBe(cause);
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ level: 'error', status: 403, reason: expect.stringContaining('forbidden') });
  });

  it('passes a ConnectError through unchanged', () => {
    const notFound = new ConnectError('book x not found', Code.NotFound);
    expect(kubeFailure(notFound, 'find book x', logger)).toBe(notFound);
  });
});
