import type { AggregateCall, AggregateImpl } from '../expressions/aggregates.js';
import { type Attribute, AttributeRef, ColumnRef, type Expr, Literal, type Row } from '../expressions/expression.js';

type Group = [keys: unknown[], buffers: unknown[]];
export type Combine = (rows: readonly Row[]) => [unknown, Group][];

/** The input column a bare column reference reads, or undefined for anything else. */
function columnIndex(e: Expr, input: readonly Attribute[]): number | undefined {
  if (e instanceof AttributeRef) {
    const i = input.findIndex((a) => a.exprId === e.attr.exprId);
    return i >= 0 ? i : undefined;
  }
  if (e instanceof ColumnRef && !e.qualifier) {
    try {
      const attr = e.resolve(input);
      return input.indexOf(attr);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const numeric = (a: Attribute) => a.dataType.kind === 'int' || a.dataType.kind === 'bigint' || a.dataType.kind === 'double';
const primitive = (a: Attribute) =>
  numeric(a) || a.dataType.kind === 'string' || a.dataType.kind === 'boolean' || a.dataType.kind === 'timestamp';

/**
 * The map-side combine as one generated loop (in the spirit of Spark's whole-stage codegen),
 * for the common case: grouping by plain columns, and count, sum, avg, min and max of plain
 * numeric columns (or count(*)). Each aggregate's update is written inline, on the buffers its
 * AggregateImpl made, so merge and result stay the implementations' own. Anything else
 * returns undefined, and the generic fold (closures per aggregate) runs instead.
 */
export function compileCombine(
  grouping: readonly Expr[],
  calls: readonly AggregateCall[],
  impls: readonly AggregateImpl[],
  input: readonly Attribute[],
): Combine | undefined {
  const keyIndexes = grouping.map((g) => columnIndex(g, input));
  if (keyIndexes.some((k) => k === undefined)) return undefined;
  const lines: string[] = [];
  for (const [i, call] of calls.entries()) {
    const countsRows = call.fn === 'count' && call.arg instanceof Literal && call.arg.value !== null;
    if (countsRows) {
      lines.push(`b[${i}] = b[${i}] + 1;`);
      continue;
    }
    const col = columnIndex(call.arg, input);
    if (col === undefined || !numeric(input[col]!)) return undefined;
    const v = `const v = row[${col}]; if (v !== null && v !== undefined)`;
    switch (call.fn) {
      case 'count':
        lines.push(`{ ${v} b[${i}] = b[${i}] + 1; }`);
        break;
      case 'sum':
        lines.push(`{ ${v} { const s = b[${i}]; s.sum += v; s.seen = true; } }`);
        break;
      case 'avg':
        lines.push(`{ ${v} { const s = b[${i}]; s.sum += v; s.n++; } }`);
        break;
      case 'min':
        lines.push(`{ ${v} { const m = b[${i}]; if (m === null || v < m) b[${i}] = v; } }`);
        break;
      case 'max':
        lines.push(`{ ${v} { const m = b[${i}]; if (m === null || v > m) b[${i}] = v; } }`);
        break;
      default:
        return undefined;
    }
  }
  const keys = keyIndexes as number[];
  const single = keys.length === 1 && primitive(input[keys[0]!]!);
  const keyCode =
    keys.length === 0
      ? 'const key = null; const keyValues = [];'
      : single
        ? `const k = row[${keys[0]}]; const key = k === undefined ? null : k; const keyValues = [key];`
        : `const keyValues = [${keys.map((k) => `row[${k}] ?? null`).join(', ')}]; const key = JSON.stringify(keyValues);`;
  // Only the fresh group's key array is kept: the others are dropped at once (young garbage).
  const source = `
    const groups = new Map();
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      ${keys.length === 0 || single ? keyCode.replace(' const keyValues = [key];', '').replace(' const keyValues = [];', '') : keyCode}
      let g = groups.get(key);
      if (g === undefined) {
        g = [${keys.length === 0 ? '[]' : single ? '[key]' : 'keyValues'}, inits()];
        groups.set(key, g);
      }
      const b = g[1];
      ${lines.join('\n      ')}
    }
    return [...groups];`;
  const inits = () => impls.map((a) => a.init());
  const loop = new Function('rows', 'inits', source) as (rows: readonly Row[], inits: () => unknown[]) => [unknown, Group][];
  return (rows) => loop(rows, inits);
}
