import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Open spill files at once, at most; a day past it is appended by reopening its file (slower, never unbounded). */
export const spillFilesOpenMax = 64;

/**
 * Rows bucketed by day on disk, one NDJSON file per day: a store scans in its own key order
 * (level: device first), so a day is complete only when the scan ends. Memory is one day's
 * rows when they are read back, whatever the table's size.
 */
export class DaySpill {
  private readonly streams = new Map<string, WriteStream>();
  private readonly days = new Set<string>();

  private constructor(private readonly dir: string) {}

  static async create(): Promise<DaySpill> {
    return new DaySpill(await mkdtemp(join(tmpdir(), 'fogline-lake-spill-')));
  }

  async add(day: string, row: unknown[]): Promise<void> {
    let stream = this.streams.get(day);
    if (!stream) {
      if (this.streams.size >= spillFilesOpenMax) await this.closeStreams();
      stream = createWriteStream(join(this.dir, `${day}.ndjson`), { flags: 'a' });
      this.streams.set(day, stream);
      this.days.add(day);
    }
    if (!stream.write(`${JSON.stringify(row)}\n`)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }

  /** The days seen, oldest first. */
  async dayList(): Promise<string[]> {
    await this.closeStreams();
    return [...this.days].sort();
  }

  async rows(day: string): Promise<unknown[][]> {
    const out: unknown[][] = [];
    const lines = createInterface({ input: createReadStream(join(this.dir, `${day}.ndjson`)) });
    for await (const line of lines) if (line) out.push(JSON.parse(line));
    return out;
  }

  async remove(): Promise<void> {
    await this.closeStreams();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async closeStreams(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
    this.streams.clear();
  }
}
