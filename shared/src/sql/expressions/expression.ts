import { analysisError } from '../errors.js';
import { type DataType, inferType, NullType, StringType, typeName } from '../types.js';

/** A row inside the engine: the values in the order of its plan's output attributes. */
export type Row = unknown[];
export type Evaluator = (row: Row) => unknown;

/** One output column of a plan node, with the id that column references bind to (Spark's AttributeReference). */
export interface Attribute {
  readonly exprId: number;
  readonly name: string;
  readonly dataType: DataType;
  readonly nullable: boolean;
  /** Table names and aliases that may qualify the name (`h.device_id`). */
  readonly qualifiers: readonly string[];
}

let lastExprId = 0;
/** A fresh id for a new output column. */
export function newExprId(): number {
  return ++lastExprId;
}

export function attribute(name: string, dataType: DataType, nullable = true, qualifiers: readonly string[] = []): Attribute {
  return { exprId: newExprId(), name, dataType, nullable, qualifiers };
}

/** What binding an expression to a plan's output gives: a function of the row and the result's type. */
export interface Bound {
  readonly evaluate: Evaluator;
  readonly dataType: DataType;
}

/**
 * An expression tree node (Spark's Expression). `bind` resolves column names against the
 * input's attributes once, so evaluating a row is a chain of small closures with no lookups.
 */
export abstract class Expr {
  /** The column name Spark gives this expression when it is not aliased: `(a + 1)`, `avg(x)`. */
  abstract toString(): string;
  abstract children(): readonly Expr[];
  abstract withChildren(children: readonly Expr[]): Expr;
  abstract bind(input: readonly Attribute[]): Bound;
  /** True for aggregate functions, which only an Aggregate node can evaluate. */
  get isAggregate(): boolean {
    return false;
  }
}

/** Rewrites an expression tree bottom-up with f; f returns the node unchanged to keep it. */
export function transformExpr(expr: Expr, f: (e: Expr) => Expr | undefined): Expr {
  const replaced = f(expr);
  if (replaced) return replaced;
  const kids = expr.children();
  if (kids.length === 0) return expr;
  const next = kids.map((k) => transformExpr(k, f));
  return next.every((k, i) => k === kids[i]) ? expr : expr.withChildren(next);
}

/** Every node of the tree, parents first. */
export function collectExprs(expr: Expr, keep: (e: Expr) => boolean, out: Expr[] = []): Expr[] {
  if (keep(expr)) out.push(expr);
  for (const k of expr.children()) collectExprs(k, keep, out);
  return out;
}

abstract class LeafExpr extends Expr {
  children(): readonly Expr[] {
    return [];
  }
  withChildren(): Expr {
    return this;
  }
}

/** Finds the attribute a name (optionally qualified) refers to; an unknown or ambiguous name is an analysis error. */
export function resolveName(name: string, qualifier: string | undefined, input: readonly Attribute[]): number {
  const lower = name.toLowerCase();
  const q = qualifier?.toLowerCase();
  const found: number[] = [];
  input.forEach((a, i) => {
    if (a.name.toLowerCase() !== lower) return;
    if (q !== undefined && !a.qualifiers.some((x) => x.toLowerCase() === q)) return;
    found.push(i);
  });
  const shown = qualifier ? `${qualifier}.${name}` : name;
  if (found.length === 0) {
    analysisError(`column '${shown}' does not exist; the input has [${input.map((a) => describeAttribute(a)).join(', ')}]`);
  }
  if (found.length > 1) {
    const exprIds = new Set(found.map((i) => input[i]!.exprId));
    if (exprIds.size > 1)
      analysisError(`column '${shown}' is ambiguous: it could be ${found.map((i) => describeAttribute(input[i]!)).join(' or ')}`);
  }
  return found[0]!;
}

function describeAttribute(a: Attribute): string {
  return a.qualifiers.length ? `${a.qualifiers[0]}.${a.name}` : a.name;
}

/** A column named by the user, resolved when bound (Spark's UnresolvedAttribute). `t.a` names a qualifier. */
export class ColumnRef extends LeafExpr {
  constructor(
    readonly name: string,
    readonly qualifier?: string,
  ) {
    super();
  }
  toString(): string {
    return this.name;
  }
  bind(input: readonly Attribute[]): Bound {
    const field = this.structField(input);
    if (field) return field;
    const index = resolveName(this.name, this.qualifier, input);
    return { evaluate: (row) => row[index], dataType: input[index]!.dataType };
  }
  /** `window.start`: a field of a struct column, when no table qualifies the name that way. */
  private structField(input: readonly Attribute[]): Bound | undefined {
    if (!this.qualifier) return undefined;
    const q = this.qualifier.toLowerCase();
    if (input.some((a) => a.qualifiers.some((x) => x.toLowerCase() === q))) return undefined;
    const index = input.findIndex((a) => a.name.toLowerCase() === q && a.dataType.kind === 'struct');
    if (index < 0) return undefined;
    const type = input[index]!.dataType as Extract<DataType, { kind: 'struct' }>;
    const field = type.struct.fields.find((f) => f.name.toLowerCase() === this.name.toLowerCase());
    if (!field) analysisError(`struct column ${this.qualifier} has no field ${this.name}; it has ${type.struct.fieldNames().join(', ')}`);
    const name = field.name;
    return { evaluate: (row) => (row[index] as Record<string, unknown> | null)?.[name] ?? null, dataType: field.dataType };
  }
  /** The input column this reads: itself, or the struct column for `window.start`. */
  referenced(input: readonly Attribute[]): Attribute {
    if (this.structField(input))
      return input.find((a) => a.name.toLowerCase() === this.qualifier!.toLowerCase() && a.dataType.kind === 'struct')!;
    return this.resolve(input);
  }
  resolve(input: readonly Attribute[]): Attribute {
    return input[resolveName(this.name, this.qualifier, input)]!;
  }
}

/** A column taken from a particular DataFrame (`df.col('x')`): binds by id, so it survives joins with equal names. */
export class AttributeRef extends LeafExpr {
  constructor(readonly attr: Attribute) {
    super();
  }
  toString(): string {
    return this.attr.name;
  }
  bind(input: readonly Attribute[]): Bound {
    let index = input.findIndex((a) => a.exprId === this.attr.exprId);
    // A plan rebuilt above (a projection of the same name) may have replaced the id; the name is the fallback.
    if (index < 0) index = resolveName(this.attr.name, undefined, input);
    return { evaluate: (row) => row[index], dataType: input[index]!.dataType };
  }
}

/** A constant. */
export class Literal extends LeafExpr {
  readonly dataType: DataType;
  constructor(
    readonly value: unknown,
    dataType?: DataType,
  ) {
    super();
    this.dataType = dataType ?? (value === null ? NullType : inferLiteral(value));
  }
  toString(): string {
    if (this.value === null) return 'NULL';
    if (this.value instanceof Date) return `TIMESTAMP '${this.value.toISOString()}'`;
    return String(this.value);
  }
  bind(): Bound {
    const value = this.value instanceof Date ? this.value.getTime() : this.value;
    return { evaluate: () => value, dataType: this.dataType };
  }
}

function inferLiteral(value: unknown): DataType {
  // A literal whole number is an int in Spark SQL (1), a bigint only when it does not fit.
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2147483647) return { kind: 'int' };
  return inferType(value);
}

/** `expr AS name`. */
export class Alias extends Expr {
  constructor(
    readonly child: Expr,
    readonly name: string,
  ) {
    super();
  }
  toString(): string {
    return this.name;
  }
  children(): readonly Expr[] {
    return [this.child];
  }
  withChildren(children: readonly Expr[]): Expr {
    return new Alias(children[0]!, this.name);
  }
  bind(input: readonly Attribute[]): Bound {
    return this.child.bind(input);
  }
}

/** `*` or `t.*` in a select list; expanded by the projection, never evaluated. */
export class Star extends LeafExpr {
  constructor(readonly qualifier?: string) {
    super();
  }
  toString(): string {
    return this.qualifier ? `${this.qualifier}.*` : '*';
  }
  bind(): Bound {
    return analysisError(`'${this}' can only be used in a select list or count(*)`);
  }
  expand(input: readonly Attribute[]): Attribute[] {
    if (!this.qualifier) return input.slice();
    const q = this.qualifier.toLowerCase();
    const out = input.filter((a) => a.qualifiers.some((x) => x.toLowerCase() === q));
    if (out.length === 0) analysisError(`'${this}': no table or alias named ${this.qualifier}`);
    return out;
  }
}

/** A sort key: ascending or descending, nulls first or last (Spark: nulls first when ascending). */
export class SortOrder extends Expr {
  constructor(
    readonly child: Expr,
    readonly ascending: boolean,
    readonly nullsFirst: boolean = ascending,
  ) {
    super();
  }
  toString(): string {
    return `${this.child} ${this.ascending ? 'ASC' : 'DESC'} NULLS ${this.nullsFirst ? 'FIRST' : 'LAST'}`;
  }
  children(): readonly Expr[] {
    return [this.child];
  }
  withChildren(children: readonly Expr[]): Expr {
    return new SortOrder(children[0]!, this.ascending, this.nullsFirst);
  }
  bind(input: readonly Attribute[]): Bound {
    return this.child.bind(input);
  }
}

/** The name a projected expression gets: an alias's, a column's, or Spark's rendering of the expression. */
export function outputName(expr: Expr): string {
  return expr.toString();
}

/** Compares two non-null engine values as SQL orders them: numbers, strings, booleans, arrays element-wise. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number')
    return a < b ? -1 : a > b ? 1 : Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareNullable(a[i], b[i], true);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') return compareValues(Object.values(a), Object.values(b));
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function compareNullable(a: unknown, b: unknown, nullsFirst: boolean): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : nullsFirst ? -1 : 1;
  if (b === null || b === undefined) return nullsFirst ? 1 : -1;
  return compareValues(a, b);
}

/** A key that groups equal SQL values together (a Map key): primitives as themselves, others as JSON. */
export function groupingKey(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

export { StringType, typeName };
