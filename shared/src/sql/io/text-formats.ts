import { readFile } from 'node:fs/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import { SqlError } from '../errors.js';
import { parseTimestamp } from '../expressions/operators.js';
import {
  commonType,
  type DataType,
  DoubleType,
  LongType,
  StringType,
  StructField,
  StructType,
  TimestampType,
  toInternal,
} from '../types.js';
import { listDataFiles } from './file-listing.js';

export interface CsvOptions {
  /** The first line names the columns (default false: _c0, _c1...). */
  readonly header?: boolean;
  /** Infer bigint, double, boolean and timestamp columns (default false: all strings), as Spark. */
  readonly inferSchema?: boolean;
  readonly sep?: string;
  /** The string that stands for null (default: the empty string). */
  readonly nullValue?: string;
}

/** Rows and schema read from text files (CSV or JSON lines), whole, at read time. */
export interface TextTable {
  readonly schema: StructType;
  readonly rows: unknown[][];
}

/** Reads CSV files with csv-parse (quoted fields, embedded separators and newlines). */
export async function readCsv(path: string, options: CsvOptions, schema?: StructType): Promise<TextTable> {
  const records: string[][] = [];
  let names: string[] | undefined;
  for (const file of await listDataFiles(path, '')) {
    const text = await readFile(file.path, 'utf8');
    let parsed: string[][];
    try {
      parsed = parseCsv(text, { delimiter: options.sep ?? ',', relax_column_count: true, skip_empty_lines: true, bom: true });
    } catch (error) {
      throw new SqlError('SQL_IO_ERROR', `CSV file ${file.path}: ${(error as Error).message}`, { cause: error });
    }
    if (options.header) names ??= parsed.shift();
    if (options.header && names && parsed[0]?.join() === names.join()) parsed.shift();
    records.push(...parsed);
  }
  const width = schema?.fields.length ?? names?.length ?? Math.max(0, ...records.map((r) => r.length));
  const columnNames = schema?.fieldNames() ?? names ?? Array.from({ length: width }, (_, i) => `_c${i}`);
  const nullValue = options.nullValue ?? '';
  const raw = records.map((r) => columnNames.map((_, i) => (r[i] === undefined || r[i] === nullValue ? null : r[i]!)));
  const types =
    schema?.fields.map((f) => f.dataType) ??
    columnNames.map((_, i) => (options.inferSchema ? inferTextType(raw.map((r) => r[i] as string | null)) : StringType));
  const finalSchema = schema ?? new StructType(columnNames.map((n, i) => new StructField(n, types[i]!)));
  return { schema: finalSchema, rows: raw.map((r) => r.map((v, i) => convertText(v as string | null, types[i]!))) };
}

/** Reads JSON lines (one object per line, as Spark's json reader), inferring a schema over every line. */
export async function readJsonLines(path: string, schema?: StructType): Promise<TextTable> {
  const objects: Record<string, unknown>[] = [];
  for (const file of await listDataFiles(path, '')) {
    const lines = (await readFile(file.path, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        objects.push(JSON.parse(line));
      } catch (error) {
        throw new SqlError('SQL_IO_ERROR', `JSON file ${file.path}, line ${i + 1}: ${(error as Error).message}`, { cause: error });
      }
    });
  }
  let finalSchema = schema;
  if (!finalSchema) {
    const names: string[] = [];
    const types = new Map<string, DataType>();
    for (const o of objects) {
      for (const [k, v] of Object.entries(o)) {
        if (!types.has(k)) names.push(k);
        types.set(k, commonType(types.get(k) ?? { kind: 'null' }, jsonType(v)));
      }
    }
    // Spark orders inferred JSON columns by name.
    finalSchema = new StructType(names.sort().map((n) => new StructField(n, types.get(n)!.kind === 'null' ? StringType : types.get(n)!)));
  }
  const fields = finalSchema.fields;
  return { schema: finalSchema, rows: objects.map((o) => fields.map((f) => toInternal(o[f.name], f.dataType))) };
}

function jsonType(v: unknown): DataType {
  if (typeof v === 'number') return Number.isInteger(v) ? LongType : DoubleType;
  if (typeof v === 'boolean') return { kind: 'boolean' };
  if (v === null || v === undefined) return { kind: 'null' };
  if (Array.isArray(v)) return { kind: 'array', element: v.reduce((t: DataType, x) => commonType(t, jsonType(x)), { kind: 'null' }) };
  return StringType;
}

function inferTextType(values: readonly (string | null)[]): DataType {
  const present = values.filter((v): v is string => v !== null);
  if (present.length === 0) return StringType;
  if (present.every((v) => /^[+-]?\d+$/.test(v) && Number.isSafeInteger(Number(v)))) return LongType;
  if (present.every((v) => v.trim() !== '' && !Number.isNaN(Number(v)))) return DoubleType;
  if (present.every((v) => /^(true|false)$/i.test(v))) return { kind: 'boolean' };
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(v) && parseTimestamp(v) !== null)) return TimestampType;
  return StringType;
}

function convertText(value: string | null, type: DataType): unknown {
  if (value === null) return null;
  switch (type.kind) {
    case 'int':
    case 'bigint':
    case 'double': {
      const n = Number(value);
      return value.trim() === '' || Number.isNaN(n) ? null : n;
    }
    case 'boolean':
      return /^true$/i.test(value) ? true : /^false$/i.test(value) ? false : null;
    case 'timestamp':
    case 'date':
      return parseTimestamp(value);
    default:
      return value;
  }
}
