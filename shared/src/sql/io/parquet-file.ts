import { rename, writeFile } from 'node:fs/promises';
import type { ColumnSource } from 'hyparquet-writer';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Row } from '../expressions/expression.js';
import type { DataType, StructType } from '../types.js';

/** Rows per row group: small enough that a filtered scan can skip most of a file, large enough to compress well. */
export const parquetRowGroupRowsDefault = 10_000;

/** A column of engine values in the form hyparquet-writer takes, with the Parquet type Spark and DuckDB read back. */
function columnOf(name: string, type: DataType, values: readonly unknown[]): ColumnSource {
  const nullable = true;
  switch (type.kind) {
    case 'int':
      return { name, type: 'INT32', nullable, data: values.map((v) => (v === null || v === undefined ? null : Math.trunc(v as number))) };
    case 'bigint':
      return {
        name,
        type: 'INT64',
        nullable,
        data: values.map((v) => (v === null || v === undefined ? null : BigInt(Math.trunc(v as number)))),
      };
    case 'double':
      return { name, type: 'DOUBLE', nullable, data: values.map((v) => (v === null || v === undefined ? null : (v as number))) };
    case 'boolean':
      return { name, type: 'BOOLEAN', nullable, data: values.map((v) => (v === null || v === undefined ? null : Boolean(v))) };
    case 'timestamp':
    case 'date':
      return { name, type: 'TIMESTAMP', nullable, data: values.map((v) => (v === null || v === undefined ? null : new Date(v as number))) };
    case 'string':
      return { name, type: 'STRING', nullable, data: values.map((v) => (v === null || v === undefined ? null : String(v))) };
    default:
      // Arrays and structs go out as JSON text: every reader can parse it, and no nested-type mapping can disagree.
      return { name, type: 'JSON', nullable, data: values.map((v) => (v === null || v === undefined ? null : v)) };
  }
}

/**
 * Writes rows as one Parquet file (snappy, min/max statistics per row group). The file appears
 * whole or not at all: written beside under a `.`-name (which readers skip), then renamed.
 */
export async function writeParquetFile(
  path: string,
  schema: StructType,
  rows: readonly Row[],
  rowGroupRows = parquetRowGroupRowsDefault,
): Promise<void> {
  const columnData = schema.fields.map((f, i) =>
    columnOf(
      f.name,
      f.dataType,
      rows.map((r) => r[i]),
    ),
  );
  const buffer = parquetWriteBuffer({ columnData, rowGroupSize: rowGroupRows, createdBy: 'fogline' });
  const slash = path.lastIndexOf('/');
  const temporary = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.tmp`;
  await writeFile(temporary, Buffer.from(buffer));
  await rename(temporary, path);
}
