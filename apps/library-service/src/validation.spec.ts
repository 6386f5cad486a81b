import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { BadRequestSchema, CreateBookInstanceRequestSchema, CreateBookRequestSchema, ErrorInfoSchema, ListBooksRequestSchema } from '@bdk/proto';
import { failedPrecondition, validateCreateBook, validateCreateBookInstance, validateListBooks } from './validation.js';

const book = { name: 'customer-support', version: '1.0.0' };
const instance = { bookId: '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01', customerNamespace: 'customer-acme', organizationId: 'org-uuid-123' };

function failure(run: () => void): { code: Code; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ConnectError) return { code: error.code, message: error.rawMessage };
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('validateCreateBook', () => {
  it("accepts the spec's book", () => {
    const request = create(CreateBookRequestSchema, {
      ...book,
      schema: { inputs: [{ name: 'customer_id', type: 'string', required: true }], outputs: [{ name: 'resolution', type: 'object' }] },
      capabilities: ['ticket_creation', 'customer_lookup'],
      runtime: { language: 'python', version: '3.11' },
      integrations: [
        { name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } },
        { name: 'slack', type: 'api', config: { scopes: ['chat:write'] } },
      ],
    });
    expect(() => validateCreateBook(request)).not.toThrow();
  });

  const cases: [string, MessageInitShape<typeof CreateBookRequestSchema>, string][] = [
    ['a missing name', { version: '1.0.0' }, 'name: is required'],
    ['a name that is not a DNS label', { ...book, name: 'Customer_Support' }, 'name: must be a DNS label'],
    ['a name over 63 characters', { ...book, name: 'a'.repeat(64) }, 'name: must be a DNS label'],
    ['a missing version', { name: 'customer-support' }, 'version: is required'],
    ['a version that is not semver', { ...book, version: '1.0' }, 'version: must be a semantic version'],
    ['an unknown field type', { ...book, schema: { inputs: [{ name: 'x', type: 'text' }] } }, 'schema.inputs[0].type: must be one of string, number'],
    ['an unnamed output', { ...book, schema: { outputs: [{ type: 'object' }] } }, 'schema.outputs[0].name: is required'],
    ['repeated input names', { ...book, schema: { inputs: [{ name: 'a' }, { name: 'a' }] } }, 'schema.inputs[1].name: "a" is given twice'],
    ['enum on a number', { ...book, schema: { inputs: [{ name: 'n', type: 'number', enum: ['1'] }] } }, 'schema.inputs[0].enum: is allowed for string fields only'],
    ['a runtime without language', { ...book, runtime: { version: '3.11' } }, 'runtime.language: is required'],
    ['an integration without type', { ...book, integrations: [{ name: 'zendesk' }] }, 'integrations[0].type: is required'],
    ['an unknown integration type', { ...book, integrations: [{ name: 'zendesk', type: 'email' }] }, 'integrations[0].type: must be one of webhook, api'],
    [
      'repeated integration names',
      { ...book, integrations: [{ name: 'zendesk', type: 'webhook' }, { name: 'zendesk', type: 'api' }] },
      'integrations[1].name: "zendesk" is given twice',
    ],
    ['a relative webhook endpoint', { ...book, integrations: [{ name: 'z', type: 'webhook', config: { endpoint: 'hooks' } }] }, 'integrations[0].config.endpoint: must be a path'],
  ];
  it.each(cases)('refuses %s with INVALID_ARGUMENT naming the field', (_case, init, message) => {
    const error = failure(() => validateCreateBook(create(CreateBookRequestSchema, init)));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message.startsWith(message)).toBe(true);
  });
});

describe('validateCreateBookInstance', () => {
  it("accepts the spec's instance", () => {
    const request = create(CreateBookInstanceRequestSchema, {
      ...instance,
      deployment: { type: 'primary', replicas: 2 },
      networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
      credentials: [{ name: 'zendesk_api_key', value: 'encrypted_api_key' }],
    });
    expect(() => validateCreateBookInstance(request)).not.toThrow();
  });

  const cases: [string, MessageInitShape<typeof CreateBookInstanceRequestSchema>, string][] = [
    ['a book_id that is not a UUID', { ...instance, bookId: 'customer-support' }, 'book_id: must be a UUID'],
    ['a missing customer_namespace', { ...instance, customerNamespace: '' }, 'customer_namespace: is required'],
    ['a customer_namespace that is not a DNS label', { ...instance, customerNamespace: 'Acme' }, 'customer_namespace: must be a DNS label'],
    ['an organization_id longer than a label value', { ...instance, organizationId: 'o'.repeat(64) }, 'organization_id: must be at most 63 characters'],
    ['an unknown deployment type', { ...instance, deployment: { type: 'canary' } }, 'deployment.type: must be one of primary, secondary, shared'],
    ['negative replicas', { ...instance, deployment: { replicas: -1 } }, 'deployment.replicas: must be between 0 and 100'],
    [
      'autoscaling with min_replicas above max_replicas',
      { ...instance, deployment: { autoscaling: { minReplicas: 6, maxReplicas: 5 } } },
      'deployment.autoscaling.min_replicas: must be between 1 and max_replicas (5)',
    ],
    ['autoscaling without max_replicas', { ...instance, deployment: { autoscaling: { minReplicas: 1 } } }, 'deployment.autoscaling.max_replicas: must be between 1 and 100'],
    [
      'a CPU target above 100 percent',
      { ...instance, deployment: { autoscaling: { maxReplicas: 5, targetCpuUtilization: 150 } } },
      'deployment.autoscaling.target_cpu_utilization: must be a percentage',
    ],
    ['a cpu that is not a quantity', { ...instance, deployment: { resources: { cpu: 'lots' } } }, 'deployment.resources.cpu: must be a Kubernetes quantity'],
    ['tailscale enabled without a tailnet', { ...instance, networking: { tailscale: { enabled: true } } }, 'networking.tailscale.tailnet: is required'],
    ['an unnamed credential', { ...instance, credentials: [{ value: 'v' }] }, 'credentials[0].name: is required'],
    ['a credential name with spaces', { ...instance, credentials: [{ name: 'api key', value: 'v' }] }, 'credentials[0].name: must start with'],
    [
      'repeated credential names',
      { ...instance, credentials: [{ name: 'k', value: 'v' }, { name: 'k', value: 'w' }] },
      'credentials[1].name: "k" is given twice',
    ],
    ['an external credential without a value', { ...instance, credentials: [{ name: 'k' }] }, 'credentials[0].value: is required'],
    ['a generated credential with a value', { ...instance, credentials: [{ name: 'k', source: 'generated', value: 'v' }] }, 'credentials[0].value: must be empty'],
    ['an unknown credential source', { ...instance, credentials: [{ name: 'k', source: 'vault', value: 'v' }] }, 'credentials[0].source: must be one of'],
    ['an unknown log level', { ...instance, configuration: { logLevel: 'trace' } }, 'configuration.log_level: must be one of debug, info'],
  ];
  it.each(cases)('refuses %s with INVALID_ARGUMENT naming the field', (_case, init, message) => {
    const error = failure(() => validateCreateBookInstance(create(CreateBookInstanceRequestSchema, init)));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message.startsWith(message)).toBe(true);
  });

  it('never puts a credential value in an error message', () => {
    const error = failure(() =>
      validateCreateBookInstance(create(CreateBookInstanceRequestSchema, { ...instance, credentials: [{ name: 'k', source: 'generated', value: 's3cr3t-value' }] })),
    );
    expect(error.message).not.toContain('s3cr3t-value');
  });
});

describe('validateListBooks', () => {
  it('defaults page_size to 50 and refuses more than 500', () => {
    expect(validateListBooks(create(ListBooksRequestSchema, {}))).toBe(50);
    expect(validateListBooks(create(ListBooksRequestSchema, { pageSize: 500 }))).toBe(500);
    expect(failure(() => validateListBooks(create(ListBooksRequestSchema, { pageSize: 501 }))).message).toBe('page_size: must be between 0 and 500');
  });
});

describe('field errors carry the field in their details', () => {
  function thrown(run: () => void): ConnectError {
    try {
      run();
    } catch (error) {
      if (error instanceof ConnectError) return error;
      throw error;
    }
    throw new Error('expected a validation error');
  }

  it('a validation failure: google.rpc.BadRequest with the field violation and ErrorInfo INVALID_FIELD', () => {
    const error = thrown(() => validateCreateBookInstance(create(CreateBookInstanceRequestSchema, { ...instance, deployment: { replicas: 101 } })));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(BadRequestSchema).map((detail) => detail.fieldViolations.map(({ field, description }) => ({ field, description })))).toEqual([
      [{ field: 'deployment.replicas', description: 'must be between 0 and 100' }],
    ]);
    expect(error.findDetails(ErrorInfoSchema).map(({ reason, domain, metadata }) => ({ reason, domain, metadata }))).toEqual([
      { reason: 'INVALID_FIELD', domain: 'bdk.voyager.io', metadata: { field: 'deployment.replicas' } },
    ]);
  });

  it('a failed precondition about a field: the same details with reason FIELD_PRECONDITION_FAILED', () => {
    const error = failedPrecondition('book_ref.version', 'version 2.0.0 is withdrawn');
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe('book_ref.version: version 2.0.0 is withdrawn');
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe('book_ref.version');
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe('FIELD_PRECONDITION_FAILED');
  });
});
