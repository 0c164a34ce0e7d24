import { badArgument } from './errors.js';

/**
 * Spark's data types, by their Spark names. Inside the engine a value is a plain JavaScript
 * value: numbers for `int`, `bigint` and `double`, strings, booleans, arrays, and epoch
 * milliseconds for `timestamp` and `date` (turned into `Date`s only where rows leave the
 * engine, in collect() and the writers), so comparisons and grouping stay cheap.
 */
export type DataType =
  | { readonly kind: 'string' }
  | { readonly kind: 'int' }
  | { readonly kind: 'bigint' }
  | { readonly kind: 'double' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'date' }
  | { readonly kind: 'null' }
  | { readonly kind: 'array'; readonly element: DataType }
  | { readonly kind: 'struct'; readonly struct: StructType };

export const StringType: DataType = { kind: 'string' };
export const IntegerType: DataType = { kind: 'int' };
export const LongType: DataType = { kind: 'bigint' };
export const DoubleType: DataType = { kind: 'double' };
export const BooleanType: DataType = { kind: 'boolean' };
export const TimestampType: DataType = { kind: 'timestamp' };
export const DateType: DataType = { kind: 'date' };
export const NullType: DataType = { kind: 'null' };
/** `array<element>`. @example ArrayType(DoubleType) */
export const ArrayType = (element: DataType): DataType => ({ kind: 'array', element });

/** The type's name as Spark prints it: `bigint`, `array<double>`, `struct<start:timestamp,end:timestamp>`. @example typeName(ArrayType(DoubleType)) // 'array<double>' */
export function typeName(type: DataType): string {
  if (type.kind === 'array') return `array<${typeName(type.element)}>`;
  if (type.kind === 'struct') return `struct<${type.struct.fields.map((f) => `${f.name}:${typeName(f.dataType)}`).join(',')}>`;
  return type.kind === 'null' ? 'void' : type.kind;
}

export function isNumeric(type: DataType): boolean {
  return type.kind === 'int' || type.kind === 'bigint' || type.kind === 'double' || type.kind === 'null';
}

/** The wider of two numeric types, as Spark widens int + bigint to bigint and anything + double to double. */
export function widerNumeric(a: DataType, b: DataType): DataType {
  if (a.kind === 'double' || b.kind === 'double') return DoubleType;
  if (a.kind === 'bigint' || b.kind === 'bigint') return LongType;
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  return IntegerType;
}

/** The common type of two columns stacked by union or coalesce; strings win over everything but equal types. */
export function commonType(a: DataType, b: DataType): DataType {
  if (a.kind === 'null') return b;
  if (b.kind === 'null' || typeName(a) === typeName(b)) return a;
  if (isNumeric(a) && isNumeric(b)) return widerNumeric(a, b);
  return StringType;
}

/** One named column of a schema. */
export class StructField {
  /** @example new StructField('age', IntegerType, true) */
  constructor(
    readonly name: string,
    readonly dataType: DataType,
    readonly nullable = true,
  ) {}

  /** `name:type`, as Spark's simpleString. @example new StructField('age', IntegerType).simpleString() // 'age:int' */
  simpleString(): string {
    return `${this.name}:${typeName(this.dataType)}`;
  }
}

/** A schema: the ordered fields of a row. */
export class StructType {
  /** @example new StructType([new StructField('name', StringType), new StructField('age', IntegerType)]) */
  constructor(readonly fields: readonly StructField[] = []) {}

  /** A new schema with one more field. @example new StructType().add('name', StringType).add('age', IntegerType) */
  add(name: string, dataType: DataType, nullable = true): StructType {
    return new StructType([...this.fields, new StructField(name, dataType, nullable)]);
  }

  /** The field names in order. @example schema.fieldNames() // ['name', 'age'] */
  fieldNames(): string[] {
    return this.fields.map((f) => f.name);
  }

  /** `struct<name:string,age:int>`. @example schema.simpleString() */
  simpleString(): string {
    return typeName({ kind: 'struct', struct: this });
  }

  /** The tree printSchema() prints. @example console.log(schema.treeString()) */
  treeString(): string {
    const lines = ['root'];
    const walk = (fields: readonly StructField[], depth: number): void => {
      for (const f of fields) {
        lines.push(`${' |   '.repeat(depth)} |-- ${f.name}: ${treeTypeName(f.dataType)} (nullable = ${f.nullable})`);
        if (f.dataType.kind === 'struct') walk(f.dataType.struct.fields, depth + 1);
        if (f.dataType.kind === 'array') {
          lines.push(`${' |   '.repeat(depth + 1)} |-- element: ${treeTypeName(f.dataType.element)} (containsNull = true)`);
        }
      }
    };
    walk(this.fields, 0);
    return `${lines.join('\n')}\n`;
  }
}

/** printSchema's names are Spark's JSON type names: `long` and `integer` where dtypes say `bigint` and `int`. */
function treeTypeName(type: DataType): string {
  const names: Record<string, string> = { bigint: 'long', int: 'integer', array: 'array', struct: 'struct' };
  return names[type.kind] ?? typeName(type);
}

const typeNames: Record<string, DataType> = {
  string: StringType,
  varchar: StringType,
  char: StringType,
  int: IntegerType,
  integer: IntegerType,
  smallint: IntegerType,
  tinyint: IntegerType,
  bigint: LongType,
  long: LongType,
  double: DoubleType,
  float: DoubleType,
  real: DoubleType,
  decimal: DoubleType,
  boolean: BooleanType,
  bool: BooleanType,
  timestamp: TimestampType,
  date: DateType,
};

/** Parses a type name: `int`, `double`, `array<string>`. @example parseDataType('array<double>') */
export function parseDataType(text: string): DataType {
  const trimmed = text.trim().toLowerCase();
  const array = /^array\s*<(.+)>$/.exec(trimmed);
  if (array) return ArrayType(parseDataType(array[1]!));
  const base = trimmed.replace(/\(.*\)$/, '');
  const type = typeNames[base];
  if (!type) badArgument('schema', 'type', text, `one of ${Object.keys(typeNames).join(', ')} or array<type>`);
  return type;
}

/**
 * Parses a DDL schema, `'name string, age int'` (or `'name: string, age: int'`), as
 * createDataFrame and the readers accept it. Commas inside `array<...>` do not split fields.
 * @example parseDdl('name string, age int').fieldNames() // ['name', 'age']
 */
export function parseDdl(ddl: string): StructType {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of ddl) {
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current);
  return new StructType(
    parts.map((part) => {
      const match = /^\s*`?([A-Za-z_][\w]*)`?\s*:?\s+(.+?)\s*(not null)?\s*$/i.exec(part);
      if (!match) badArgument('schema', 'field', part.trim(), "'name type', such as 'age int'");
      return new StructField(match[1]!, parseDataType(match[2]!), !match[3]);
    }),
  );
}

/** The type PySpark infers for a value: whole numbers are bigint, other numbers double. */
export function inferType(value: unknown): DataType {
  if (value === null || value === undefined) return NullType;
  if (typeof value === 'string') return StringType;
  if (typeof value === 'boolean') return BooleanType;
  if (typeof value === 'bigint') return LongType;
  if (typeof value === 'number') return Number.isInteger(value) ? LongType : DoubleType;
  if (value instanceof Date) return TimestampType;
  if (Array.isArray(value)) {
    let element: DataType = NullType;
    for (const item of value) element = commonType(element, inferType(item));
    return ArrayType(element.kind === 'null' ? StringType : element);
  }
  badArgument('createDataFrame', 'value', value, 'a string, number, boolean, Date, array or null');
}

/** Turns an outside value into the engine's form for a column of the given type (Date → ms, bigint → number). */
export function toInternal(value: unknown, type: DataType): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  if ((type.kind === 'timestamp' || type.kind === 'date') && typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return value;
}

/** Turns an engine value into what collect() hands out (ms → Date for timestamps). @example toExternal(0, TimestampType) // new Date(0) */
export function toExternal(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if ((type.kind === 'timestamp' || type.kind === 'date') && typeof value === 'number') return new Date(value);
  if (type.kind === 'array' && Array.isArray(value)) return value.map((v) => toExternal(v, type.element));
  if (type.kind === 'struct' && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const f of type.struct.fields) out[f.name] = toExternal((value as Record<string, unknown>)[f.name], f.dataType);
    return out;
  }
  return value;
}
