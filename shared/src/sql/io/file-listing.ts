import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SqlError } from '../errors.js';

/** A data file and the Hive partition values its folders name (`date=2026-12-02/` → { date: '2026-12-02' }). */
export interface DataFile {
  readonly path: string;
  readonly partitionValues: Readonly<Record<string, string>>;
}

/**
 * The data files under a path, as Spark lists them: a file, or every file in the folder tree,
 * skipping names that start with `_` or `.` (`_SUCCESS`, temporary files); `k=v` folders
 * become partition columns. Sorted, so splits come in the same order on every run.
 */
export async function listDataFiles(path: string, extension: string): Promise<DataFile[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new SqlError('SQL_IO_ERROR', `path ${path} does not exist`);
  }
  if (!info.isDirectory()) return [{ path, partitionValues: {} }];
  const out: DataFile[] = [];
  const walk = async (dir: string, values: Record<string, string>): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        const eq = entry.name.indexOf('=');
        await walk(full, eq > 0 ? { ...values, [entry.name.slice(0, eq)]: decodeURIComponent(entry.name.slice(eq + 1)) } : values);
      } else if (entry.name.endsWith(extension)) out.push({ path: full, partitionValues: values });
    }
  };
  await walk(path, {});
  return out;
}

/** The partition columns of a listing, in the order of the folders. */
export function partitionColumns(files: readonly DataFile[]): string[] {
  const names: string[] = [];
  for (const f of files) for (const k of Object.keys(f.partitionValues)) if (!names.includes(k)) names.push(k);
  return names;
}
