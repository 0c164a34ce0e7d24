import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * An append-only JSON-lines file (the record of publishes, the ground truth). Writes are
 * buffered by the stream; past its high-water mark the writer says so, and the runner waits
 * for the drain before producing more, so a fast dry run cannot pile lines up in memory.
 */
export class JsonlFile {
  private readonly stream: WriteStream;
  private full = false;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'w', highWaterMark: 1 << 20 });
  }

  write(line: unknown): void {
    if (!this.stream.write(`${JSON.stringify(line)}\n`)) this.full = true;
  }

  /** Resolves once the buffered lines are below the high-water mark again. */
  async drained(): Promise<void> {
    if (!this.full) return;
    await once(this.stream, 'drain');
    this.full = false;
  }

  get needsDrain(): boolean {
    return this.full;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
