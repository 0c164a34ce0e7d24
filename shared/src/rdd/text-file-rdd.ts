import { readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, type Partition, RDD, type RddContext } from './internal.js';

interface FileSplit extends Partition {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The lines of a text file, or of every file in a directory (as saveAsTextFile writes them,
 * skipping names that start with '.' or '_'), split by byte ranges as Hadoop splits them: a
 * split owns each line that starts inside it, so a line is read once whatever the boundaries.
 */
export class TextFileRDD extends RDD<string> {
  constructor(
    context: RddContext,
    private readonly path: string,
    private readonly minPartitions: number,
  ) {
    super(context, `textFile at ${path}`);
  }

  protected getPartitions(): Partition[] {
    const splits: FileSplit[] = [];
    const files = this.files();
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const goal = Math.max(1, Math.ceil(total / this.minPartitions));
    for (const file of files) {
      if (file.size === 0) continue;
      for (let start = 0; start < file.size; start += goal) {
        splits.push({ index: splits.length, path: file.path, start, end: Math.min(file.size, start + goal) });
      }
    }
    return splits;
  }

  private files(): { path: string; size: number }[] {
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(this.path);
    } catch {
      return invalidArgument('textFile', 'path', this.path, 'an existing file or directory');
    }
    if (!info.isDirectory()) return [{ path: this.path, size: info.size }];
    return readdirSync(this.path)
      .filter((name) => !name.startsWith('.') && !name.startsWith('_'))
      .sort()
      .map((name) => ({ path: join(this.path, name), size: statSync(join(this.path, name)).size }));
  }

  async compute(split: Partition): Promise<readonly string[]> {
    const { path, start, end } = split as FileSplit;
    const handle = await open(path, 'r');
    try {
      const size = (await handle.stat()).size;
      // Read one byte before the split to know whether a line starts exactly at `start`,
      // and on past `end` until the line that straddles it is complete.
      const from = Math.max(0, start - 1);
      const chunks: Buffer[] = [];
      let position = from;
      let sawNewlineAfterEnd = false;
      while (position < size && !sawNewlineAfterEnd) {
        const length = Math.min(64 * 1024, size - position);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        if (bytesRead === 0) break;
        chunks.push(buffer.subarray(0, bytesRead));
        position += bytesRead;
        if (position > end && buffer.subarray(Math.max(0, end - (position - bytesRead)), bytesRead).includes(10)) {
          sawNewlineAfterEnd = true;
        }
      }
      const bytes = Buffer.concat(chunks);
      let offset = 0;
      if (start > 0) {
        const firstNewline = bytes.indexOf(10);
        if (firstNewline === -1) return [];
        offset = firstNewline + 1; // the partial (or previous split's) line belongs elsewhere
      }
      const lines: string[] = [];
      while (offset < bytes.length && from + offset < end) {
        let newline = bytes.indexOf(10, offset);
        if (newline === -1) newline = bytes.length;
        const stop = newline > offset && bytes[newline - 1] === 13 ? newline - 1 : newline;
        lines.push(bytes.toString('utf8', offset, stop));
        offset = newline + 1;
      }
      return lines;
    } finally {
      await handle.close();
    }
  }
}
