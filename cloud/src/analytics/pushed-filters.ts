import { type DataType, type PushedFilter, parseTimestamp } from '@fogline/shared';

/** The [fromMs, toMs) a table's pushed filters allow on a time column; unbounded sides stay 0 and MAX_SAFE_INTEGER. */
export function timeRangeOf(filters: readonly PushedFilter[], column: string): [number, number] {
  let from = 0;
  let to = Number.MAX_SAFE_INTEGER;
  for (const f of filters) {
    if (f.column !== column) continue;
    const ms = toMs(f.value);
    if (ms === undefined) continue;
    if (f.op === '>=' || f.op === '=') from = Math.max(from, ms);
    if (f.op === '>') from = Math.max(from, ms + 1);
    if (f.op === '<') to = Math.min(to, ms);
    if (f.op === '<=' || f.op === '=') to = Math.min(to, ms + 1);
  }
  return [from, to];
}

function toMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parseTimestamp(value) ?? undefined;
  return undefined;
}

/** The values a string column must take under the pushed filters (= and IN), or undefined when any value may pass. */
export function valuesOf(filters: readonly PushedFilter[], column: string): string[] | undefined {
  let allowed: Set<string> | undefined;
  for (const f of filters) {
    if (f.column !== column || (f.op !== '=' && f.op !== 'in')) continue;
    const values = (f.op === 'in' ? (f.value as unknown[]) : [f.value]).filter((v): v is string => typeof v === 'string');
    allowed = allowed ? new Set(values.filter((v) => allowed!.has(v))) : new Set(values);
  }
  return allowed && [...allowed];
}

/** Columns of a source in the order a scan asks for them: the index of each requested name. */
export function columnIndexes(names: readonly string[], requested: readonly string[]): number[] {
  return requested.map((c) => names.indexOf(c));
}

export type { DataType };
