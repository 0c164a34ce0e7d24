import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { Level } from 'level';
import { type Partition, type RDD, RddError, type RddMetrics, type StorageLevel } from './internal.js';

export interface BlockManagerLimits {
  /** Records kept in memory across all cached partitions; past it, least recently used blocks go. */
  readonly memoryStoreRecordsMax: number;
  /** Bytes kept on disk for persisted partitions and checkpoints; past it, writes are refused. */
  readonly diskStoreBytesMax: number;
}

interface MemoryBlock {
  readonly items: readonly unknown[];
}

/**
 * Keeps persisted partitions: in memory (an LRU bounded by memoryStoreRecordsMax) and on disk
 * (a level database under the context's local directory, bounded by diskStoreBytesMax).
 *
 * At the memory limit the least recently used blocks are dropped; a MEMORY_AND_DISK block is
 * written through to disk, so it survives, and a MEMORY_ONLY block is recomputed from its
 * lineage when next needed, as in Spark. At the disk limit a persisted block is not written
 * (recomputed later) and a checkpoint fails. Both are counted in the context's metrics.
 *
 * Disk copies use Node's structured serialization (v8.serialize): plain data, Maps, Sets and
 * typed arrays round-trip; class instances come back as plain objects.
 */
export class BlockManager {
  private readonly memory = new Map<string, MemoryBlock>();
  private memoryRecords = 0;
  private readonly diskBlocks = new Map<string, number>();
  private diskBytes = 0;
  private db: Promise<Level<string, Uint8Array>> | undefined;
  private directory: string | undefined;

  constructor(
    private readonly limits: BlockManagerLimits,
    private readonly metrics: RddMetrics,
    private readonly localDirBase: string | undefined,
  ) {}

  /** The partition's records from memory, then disk, else computed and stored at `level`. */
  async getOrCompute<T>(rdd: RDD<T>, split: Partition, level: StorageLevel, compute: () => Promise<readonly T[]>): Promise<readonly T[]> {
    const id = blockId(rdd.rddId, split.index);
    const cached = this.memory.get(id);
    if (cached) {
      this.touch(id, cached);
      this.metrics.blockMemoryHits++;
      return cached.items as readonly T[];
    }
    if (level.useDisk && this.diskBlocks.has(id)) {
      const items = (await this.readDisk(id)) as readonly T[];
      this.metrics.blockDiskHits++;
      if (level.useMemory) this.putMemory(id, items);
      return items;
    }
    const items = await compute();
    this.metrics.blocksComputed++;
    if (level.useDisk) await this.putDisk(id, items, false);
    if (level.useMemory) this.putMemory(id, items);
    return items;
  }

  /** Drops every block of an RDD, from memory and disk. */
  removeRdd(rddId: number): void {
    const prefix = `rdd_${rddId}_`;
    for (const [id, block] of this.memory) {
      if (id.startsWith(prefix)) this.dropMemory(id, block);
    }
    for (const [id, bytes] of this.diskBlocks) {
      if (!id.startsWith(prefix)) continue;
      this.diskBlocks.delete(id);
      this.diskBytes -= bytes;
      // The block is already forgotten; a delete that fails (the store closing) leaves bytes
      // that stop() removes with the folder.
      void this.open()
        .then((db) => db.del(id))
        .catch(() => {});
    }
  }

  /** Drops every in-memory copy, as memory pressure would; disk copies stay. */
  evictMemory(): void {
    for (const [id, block] of this.memory) {
      this.dropMemory(id, block);
      this.metrics.memoryBlocksEvicted++;
    }
  }

  get memoryRecordsHeld(): number {
    return this.memoryRecords;
  }

  get diskBytesHeld(): number {
    return this.diskBytes;
  }

  async putCheckpoint(rddId: number, index: number, items: readonly unknown[]): Promise<void> {
    await this.putDisk(`checkpoint_${rddId}_${index}`, items, true);
  }

  getCheckpoint(rddId: number, index: number): Promise<readonly unknown[]> {
    return this.readDisk(`checkpoint_${rddId}_${index}`);
  }

  /** Closes the database and removes the local directory. */
  async close(): Promise<void> {
    this.memory.clear();
    this.memoryRecords = 0;
    if (this.db) await (await this.db).close();
    if (this.directory) rmSync(this.directory, { recursive: true, force: true });
  }

  private touch(id: string, block: MemoryBlock): void {
    this.memory.delete(id);
    this.memory.set(id, block);
  }

  private putMemory(id: string, items: readonly unknown[]): void {
    if (items.length > this.limits.memoryStoreRecordsMax) {
      this.metrics.memoryBlocksRefused++;
      return;
    }
    for (const [oldId, block] of this.memory) {
      if (this.memoryRecords + items.length <= this.limits.memoryStoreRecordsMax) break;
      this.dropMemory(oldId, block);
      this.metrics.memoryBlocksEvicted++;
    }
    this.memory.set(id, { items });
    this.memoryRecords += items.length;
  }

  private dropMemory(id: string, block: MemoryBlock): void {
    this.memory.delete(id);
    this.memoryRecords -= block.items.length;
  }

  private async putDisk(id: string, items: readonly unknown[], required: boolean): Promise<void> {
    const bytes = serialize(items);
    const previous = this.diskBlocks.get(id) ?? 0;
    if (this.diskBytes - previous + bytes.length > this.limits.diskStoreBytesMax) {
      this.metrics.diskBlocksRefused++;
      if (!required) return;
      throw new RddError(
        'RDD_DISK_FULL',
        `block ${id} needs ${bytes.length} bytes, and the disk store holds ${this.diskBytes} of diskStoreBytesMax ${this.limits.diskStoreBytesMax}`,
      );
    }
    await (await this.open()).put(id, bytes);
    this.diskBlocks.set(id, bytes.length);
    this.diskBytes += bytes.length - previous;
  }

  private async readDisk(id: string): Promise<readonly unknown[]> {
    const bytes = await (await this.open()).get(id);
    if (bytes === undefined) throw new RddError('RDD_DISK_FULL', `block ${id} is missing from the disk store`);
    return deserialize(bytes) as readonly unknown[];
  }

  private open(): Promise<Level<string, Uint8Array>> {
    this.db ??= (async () => {
      this.directory = mkdtempSync(join(this.localDirBase ?? tmpdir(), 'fogline-rdd-'));
      const db = new Level<string, Uint8Array>(join(this.directory, 'blocks'), { valueEncoding: 'view' });
      await db.open();
      return db;
    })();
    return this.db;
  }
}

function blockId(rddId: number, index: number): string {
  return `rdd_${rddId}_${index}`;
}
