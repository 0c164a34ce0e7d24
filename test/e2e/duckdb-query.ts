import { DuckDBInstance } from '@duckdb/node-api';

/** Rows of one query run by DuckDB in memory: the lake tests' independent reader. Closed however the query ends. */
export async function duckQuery(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}
