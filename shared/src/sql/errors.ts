/**
 * Errors of the SQL layer carry a stable code, as the engine's do: analysis (a column or a
 * table that does not exist), parse (with the token and its position) and bad arguments.
 */
export type SqlErrorCode = 'SQL_PARSE_ERROR' | 'SQL_ANALYSIS_ERROR' | 'SQL_INVALID_ARGUMENT' | 'SQL_UNSUPPORTED' | 'SQL_IO_ERROR';

export class SqlError extends Error {
  readonly code: SqlErrorCode;

  constructor(code: SqlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlError';
    this.code = code;
  }
}

/** Throws SQL_ANALYSIS_ERROR: the query is well formed but names something that is not there. */
export function analysisError(message: string): never {
  throw new SqlError('SQL_ANALYSIS_ERROR', message);
}

/** Throws SQL_INVALID_ARGUMENT naming the argument, its value and what was expected. */
export function badArgument(operation: string, name: string, value: unknown, expected: string): never {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  throw new SqlError('SQL_INVALID_ARGUMENT', `${operation}: ${name} was ${shown}, expected ${expected}`);
}
