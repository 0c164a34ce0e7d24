import { type DataFrame, formatTimestamp, type RddContext, SqlError, toExternal, typeName } from '@fogline/shared';
import type { Hono } from 'hono';
import { z } from 'zod';
import { fleetSqlContext, fleetTables } from '../analytics/fleet-sql.js';
import type { CloudStore } from '../store/cloud-store.js';
import { csvField } from './export-routes.js';

/** The limits of /api/v1/sql, each with a stated policy: past rowsMax the result is cut (and says so), past timeoutMs the query fails with 504, past queriesAtOnceMax it is refused with 503. */
export interface SqlLimits {
  readonly rowsMax: number;
  readonly timeoutMs: number;
  readonly queriesAtOnceMax: number;
}

export const sqlLimitsDefault: SqlLimits = { rowsMax: 100_000, timeoutMs: 30_000, queriesAtOnceMax: 2 };
/** The longest query text taken. */
export const sqlQueryCharsMax = 100_000;

export const sqlBody = z.strictObject({
  query: z.string().min(1, 'a SELECT query').max(sqlQueryCharsMax, `at most ${sqlQueryCharsMax} characters`),
  format: z.enum(['json', 'csv']).default('json'),
  /** Fewer rows than the server's maximum. */
  rowsMax: z.number().int().min(1).optional(),
});

/** A value as JSON carries it: timestamps as ISO-8601, non-finite numbers as null. */
function jsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (Array.isArray(value)) return value.map(jsonValue);
  return value;
}

/** A value in a CSV cell: the export's RFC 4180 quoting; timestamps as Spark prints them; null empty. */
function csvCell(value: unknown, type: string): string {
  if (value === null || value === undefined) return '';
  const text =
    type === 'timestamp' && typeof value === 'number'
      ? formatTimestamp(value)
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return csvField(text);
}

/** The result's text, in pieces small enough to stream (a piece per rowsPerChunk rows). */
function* resultChunks(
  df: DataFrame,
  rows: readonly unknown[][],
  truncated: boolean,
  format: 'json' | 'csv',
  elapsedMs: number,
): Generator<string> {
  const output = df.plan.output;
  const rowsPerChunk = 500;
  if (format === 'csv') {
    yield `${output.map((a) => csvCell(a.name, 'string')).join(',')}\r\n`;
    for (let i = 0; i < rows.length; i += rowsPerChunk) {
      yield rows
        .slice(i, i + rowsPerChunk)
        .map((row) => `${row.map((v, c) => csvCell(v, output[c]!.dataType.kind)).join(',')}\r\n`)
        .join('');
    }
    return;
  }
  yield `{"columns":${JSON.stringify(output.map((a) => ({ name: a.name, type: typeName(a.dataType) })))},"rows":[`;
  for (let i = 0; i < rows.length; i += rowsPerChunk) {
    const piece = rows
      .slice(i, i + rowsPerChunk)
      .map((row) => JSON.stringify(row.map((v, c) => jsonValue(toExternal(v, output[c]!.dataType)))));
    yield (i === 0 ? '\n' : ',\n') + piece.join(',\n');
  }
  yield `\n],"truncated":${truncated},"elapsedMs":${elapsedMs}}\n`;
}

/**
 *   POST /api/v1/sql {"query": "SELECT ...", "format": "json" | "csv"}
 *   GET  /api/v1/sql/tables
 * Read-only SQL over the fleet's tables (a SELECT, nothing else parses), behind the API token.
 */
export function addSqlRoutes(app: Hono, store: CloudStore, rdd: RddContext, limits: SqlLimits = sqlLimitsDefault): void {
  let running = 0;
  app.get('/api/v1/sql/tables', async (c) => {
    const tables = await fleetTables(store);
    return c.json({
      tables: tables.map((t) => ({ name: t.name, columns: t.schema.fields.map((f) => ({ name: f.name, type: typeName(f.dataType) })) })),
    });
  });

  app.post('/api/v1/sql', async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: 'the body was not JSON, expected {"query": "SELECT ..."}' }, 400);
    }
    const body = sqlBody.safeParse(raw);
    if (!body.success) return c.json({ errors: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) }, 400);
    if (running >= limits.queriesAtOnceMax)
      return c.json({ error: `${limits.queriesAtOnceMax} queries are running on this node; try again when one ends` }, 503);
    // The place is taken before the first await, so two requests cannot both pass the check.
    running++;
    let released = false;
    const release = () => {
      if (!released) running--;
      released = true;
    };
    const rowsMax = Math.min(body.data.rowsMax ?? limits.rowsMax, limits.rowsMax);
    const startedMs = Date.now();
    let df: DataFrame;
    try {
      df = (await fleetSqlContext(store, rdd)).sql(body.data.query);
    } catch (error) {
      release();
      if (error instanceof SqlError) return c.json({ error: error.message, code: error.code }, 400);
      throw error;
    }
    // The engine cannot stop a job: a query past its time answers 504 and keeps its place until it really ends.
    // (A plan that fails while it is built rejects the job like one that fails while it runs.)
    const job = Promise.resolve().then(() =>
      df
        .limit(rowsMax + 1)
        .executeRows()
        .collect(),
    );
    void job.finally(release).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limits.timeoutMs);
    });
    let rows: unknown[][] | 'timeout';
    try {
      rows = await Promise.race([job, timeout]);
    } catch (error) {
      // The query's own mistake (a value no function takes, a scan past its maximum) arrives
      // wrapped by the engine, which ran it in a task: 400 with its words, not 500.
      const cause = (error as { cause?: unknown }).cause;
      const own = error instanceof SqlError ? error : cause instanceof SqlError ? cause : undefined;
      if (own) return c.json({ error: own.message, code: own.code }, 400);
      return c.json({ error: (error as Error).message, code: (error as { code?: string }).code ?? 'SQL_EXECUTION_ERROR' }, 500);
    } finally {
      clearTimeout(timer);
    }
    if (rows === 'timeout') return c.json({ error: `the query ran longer than ${limits.timeoutMs} ms (sql.timeoutMs); narrow it` }, 504);
    const truncated = rows.length > rowsMax;
    const chunks = resultChunks(df, truncated ? rows.slice(0, rowsMax) : rows, truncated, body.data.format, Date.now() - startedMs);
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
    });
    return c.body(stream, 200, {
      'content-type': body.data.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
      'x-fogline-truncated': String(truncated),
    });
  });
}
