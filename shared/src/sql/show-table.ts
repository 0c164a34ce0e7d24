import type { Attribute, Row } from './expressions/expression.js';
import { formatDouble, formatTimestamp } from './expressions/operators.js';
import type { DataType } from './types.js';

/** A value as Spark's show() prints it: NULL, doubles with a decimal point, timestamps as `yyyy-MM-dd HH:mm:ss`. */
export function formatCell(value: unknown, type: DataType): string {
  if (value === null || value === undefined) return 'NULL';
  switch (type.kind) {
    case 'double':
      return formatDouble(value as number);
    case 'timestamp':
      return typeof value === 'number' ? formatTimestamp(value) : String(value);
    case 'date':
      return typeof value === 'number' ? formatTimestamp(value).slice(0, 10) : String(value);
    case 'array':
      return `[${(value as unknown[]).map((v) => formatCell(v, type.element)).join(', ')}]`;
    case 'struct':
      return `{${type.struct.fields.map((f) => formatCell((value as Record<string, unknown>)[f.name], f.dataType)).join(', ')}}`;
    default:
      return String(value);
  }
}

/** Spark's boxed table: `+---+` rules, right-aligned cells (left when truncate is off), cut to truncate characters. */
export function showString(
  output: readonly Attribute[],
  rows: readonly Row[],
  shownMax: number,
  truncate: boolean | number,
  hasMore: boolean,
): string {
  const width = truncate === true ? 20 : truncate === false ? 0 : truncate;
  const cut = (s: string) => (width > 0 && s.length > width ? (width < 4 ? s.slice(0, width) : `${s.slice(0, width - 3)}...`) : s);
  const header = output.map((a) => a.name);
  const body = rows.map((row) => output.map((a, i) => cut(formatCell(row[i], a.dataType))));
  const widths = header.map((h, i) => Math.max(3, h.length, ...body.map((r) => r[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const line = (cells: readonly string[]) =>
    `|${cells.map((c, i) => (width > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('|')}|`;
  const lines = [rule, line(header), rule, ...body.map(line), rule];
  if (hasMore) lines.push(`only showing top ${shownMax} row${shownMax === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
