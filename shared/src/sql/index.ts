export { Column, type ColumnLike, type ValueLike } from './column.js';
export { DataFrame } from './dataframe.js';
export { SqlError, type SqlErrorCode } from './errors.js';
export type { Attribute, Row } from './expressions/expression.js';
export { formatTimestamp, parseTimestamp } from './expressions/operators.js';
export * as F from './functions.js';
export { GroupedData } from './grouped-data.js';
export { DataFrameReader } from './io/dataframe-reader.js';
export { DataFrameWriter, type SaveMode } from './io/dataframe-writer.js';
export { type DataFile, listDataFiles } from './io/file-listing.js';
export { parquetRowGroupRowsDefault, writeParquetFile } from './io/parquet-file.js';
export { type ParquetScanMetrics, ParquetSource } from './io/parquet-source.js';
export { ScanRDD } from './io/scan-rdd.js';
export { NaFunctions } from './na-functions.js';
export type { PushedFilter, ScanRequest, TableSource } from './plan/data-source-relation.js';
export { formatCell, showString } from './show-table.js';
export { type SchemaLike, SqlContext } from './sql-context.js';
export { parseExpression } from './sql-expression.js';
export {
  ArrayType,
  BooleanType,
  type DataType,
  DateType,
  DoubleType,
  IntegerType,
  LongType,
  parseDataType,
  parseDdl,
  StringType,
  StructField,
  StructType,
  TimestampType,
  toExternal,
  typeName,
} from './types.js';
export { Window, type WindowFrame, WindowSpec as DataFrameWindowSpec } from './window.js';
