/**
 * Errors of the RDD engine carry a stable `code`, as abstract-level's do, so callers can
 * branch on the kind of failure rather than on message text.
 */
export type RddErrorCode =
  | 'RDD_USER_FUNCTION_FAILED'
  | 'RDD_INVALID_ARGUMENT'
  | 'RDD_INVALID_KEY'
  | 'RDD_EMPTY'
  | 'RDD_STORAGE_LEVEL_LOCKED'
  | 'RDD_CONTEXT_STOPPED'
  | 'RDD_ZIP_MISMATCH'
  | 'RDD_SHUFFLE_FULL'
  | 'RDD_PATH_EXISTS'
  | 'RDD_DISK_FULL';

export class RddError extends Error {
  readonly code: RddErrorCode;

  constructor(code: RddErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RddError';
    this.code = code;
  }
}

/** Describes a value for an error message, short enough to read in a log line. */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Throws RDD_INVALID_ARGUMENT naming the argument, its value and what was expected. */
export function invalidArgument(operation: string, name: string, value: unknown, expected: string): never {
  throw new RddError('RDD_INVALID_ARGUMENT', `${operation}: ${name} was ${describeValue(value)}, expected ${expected}`);
}

/** Checks a partition count: a positive integer. */
export function checkPartitionCount(operation: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) invalidArgument(operation, name, value, 'a positive integer');
  return value;
}

/**
 * Wraps what a user function threw so that the action's rejection names the operation and
 * the RDD; an error already wrapped further down the lineage passes through unchanged.
 */
export function userFunctionError(operation: string, rdd: { toString(): string }, cause: unknown): RddError {
  if (cause instanceof RddError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new RddError('RDD_USER_FUNCTION_FAILED', `${operation} failed in ${rdd}: ${message}`, { cause });
}
