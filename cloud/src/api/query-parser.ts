import { describeIssues } from '@fogline/shared';
import type { z } from 'zod';

export type QueryParser = <T extends z.ZodType>(
  schema: T,
  query: Record<string, string>,
) => { ok: true; value: z.output<T> } | { ok: false; errors: string[] };

/** Parses a query string with a zod schema; errors name the field, the value and what was expected. */
export const parseQuery: QueryParser = (schema, query) => {
  const result = schema.safeParse(query);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: describeIssues(query, result.error.issues) };
};
