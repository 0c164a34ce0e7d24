import type { Hono } from 'hono';
import type { CloudStore, Resolution, StoredState } from '../store/cloud-store.js';
import type { QueryParser } from './query-parser.js';
import { exportQuery } from './query-schemas.js';
import { figures } from './state-figures.js';

/**
 * Exports running at once on this node, at most: each holds a store connection (PostgreSQL)
 * or an iterator (level) for as long as its download lasts. One more is refused with 503.
 */
export const exportsAtOnceMax = 2;

const resolutionOf: Record<'windows' | 'hours' | 'days', Resolution> = { windows: 'window', hours: 'hour', days: 'day' };

/** The columns of an export, in order: the key, then the state's figures. */
export const exportColumns = [
  'deviceId',
  'metric',
  'windowStart',
  'windowStartMs',
  'windowEndMs',
  'count',
  'sum',
  'mean',
  'min',
  'max',
  'variance',
  'stddev',
  'p50',
  'p95',
  'p99',
] as const;

function recordOf({ deviceId, metric, startMs, endMs, state }: StoredState): Record<(typeof exportColumns)[number], string | number> {
  return {
    deviceId,
    metric,
    windowStart: new Date(startMs).toISOString(),
    windowStartMs: startMs,
    windowEndMs: endMs,
    ...figures(state),
  };
}

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export const csvField = (value: string | number) => {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The export's lines, produced as the store's scan yields its states. */
async function* lines(rows: AsyncIterable<StoredState>, format: 'csv' | 'ndjson'): AsyncGenerator<string> {
  if (format === 'csv') yield `${exportColumns.join(',')}\r\n`;
  for await (const row of rows) {
    const record = recordOf(row);
    yield format === 'csv' ? `${exportColumns.map((column) => csvField(record[column])).join(',')}\r\n` : `${JSON.stringify(record)}\n`;
  }
}

/**
 *   GET /api/v1/export?table=windows|hours|days&from=&to=&format=csv|ndjson
 * Every state of the table starting in [from, to), streamed as the store reads it (CSV with a
 * header row, or one JSON object per line), so an export of months never sits in memory.
 */
export function addExportRoutes(app: Hono, parse: QueryParser, store: CloudStore): void {
  let running = 0;
  async function* counted(source: AsyncGenerator<string>): AsyncGenerator<string> {
    try {
      yield* source;
    } finally {
      running--;
    }
  }
  app.get('/api/v1/export', (c) => {
    const query = parse(exportQuery, c.req.query());
    if (!query.ok) return c.json({ errors: query.errors }, 400);
    if (running >= exportsAtOnceMax)
      return c.json({ error: `${exportsAtOnceMax} exports are running on this node; try again when one ends` }, 503);
    running++;
    const { table, from, to, format } = query.value;
    const source = counted(lines(store.series.scan(resolutionOf[table], from, to), format));
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await source.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await source.return(undefined);
      },
    });
    return c.body(body, 200, {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      'content-disposition': `attachment; filename="fogline-${table}.${format}"`,
    });
  });
}
