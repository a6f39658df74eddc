/**
 * Domain errors shared by apps, activities and libraries.
 *
 * Every error carries a stable `code`; the control plane maps codes to HTTP statuses in one
 * exception filter, and activities map them to non-retryable Temporal failures.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_SPEC'
  | 'INVALID_DATA'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'INTEGRITY_ERROR'
  | 'UNAVAILABLE';

export class MlopsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends MlopsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_ARGUMENT', message, details);
  }
}

export class NotFoundError extends MlopsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', message, details);
  }
}

export class PermissionDeniedError extends MlopsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('PERMISSION_DENIED', message, details);
  }
}

export class ConflictError extends MlopsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details);
  }
}

/** A stored object does not match the checksum its manifest promises. Nothing must be loaded. */
export class IntegrityError extends MlopsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INTEGRITY_ERROR', message, details);
  }
}

/** Input data breaks the spec's schema: names file, row, column, expected and found. */
export class DataValidationError extends MlopsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_DATA', message, details);
  }
}

export class SpecValidationError extends MlopsError {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super('INVALID_SPEC', message, { issues });
  }
}

/** Error codes that retrying cannot fix: activities surface them as non-retryable failures. */
export const NON_RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set([
  'INVALID_ARGUMENT',
  'INVALID_SPEC',
  'INVALID_DATA',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'INTEGRITY_ERROR',
]);
