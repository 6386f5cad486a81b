// Errors the CLI reports on stderr: the message is what the user reads, exitCode what the shell sees.

/** A failure to report without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** gRPC status code names by number (google.rpc.Code), as the gateway's error bodies carry only the number. */
const grpcCodeNames = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export function grpcCodeName(code: number): string {
  return grpcCodeNames[code] ?? `code ${code}`;
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** An error answer of the gateway: its HTTP status, the gRPC status it carries and the fields it names. */
export class ApiError extends CliError {
  constructor(
    readonly httpStatus: number,
    readonly grpcCode: number | undefined,
    readonly detail: string,
    readonly fieldViolations: readonly FieldViolation[] = [],
  ) {
    const code = grpcCode === undefined ? '' : ` ${grpcCodeName(grpcCode)}`;
    const fields = fieldViolations
      .filter((violation) => !detail.startsWith(`${violation.field}: `))
      .map((violation) => `\n  ${violation.field}: ${violation.description}`)
      .join('');
    super(`HTTP ${httpStatus}${code}: ${detail}${fields}`);
    this.name = 'ApiError';
  }
}

/** What the CLI prints for an error thrown by a command. */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return `Error: ${error.message}`;
  if (error instanceof Error) return `Error: ${error.message}`;
  return `Error: ${String(error)}`;
}
