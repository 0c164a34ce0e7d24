/**
 * Where a persisted RDD keeps its partitions, as PySpark's StorageLevel. fogline keeps
 * memory copies deserialized (plain JS values) and disk copies in a level database.
 */
export class StorageLevel {
  static readonly NONE = new StorageLevel(false, false);
  static readonly DISK_ONLY = new StorageLevel(true, false);
  static readonly MEMORY_ONLY = new StorageLevel(false, true);
  static readonly MEMORY_AND_DISK = new StorageLevel(true, true);

  private constructor(
    readonly useDisk: boolean,
    readonly useMemory: boolean,
  ) {}

  /** Spark's description, as toDebugString prints it: "Memory Deserialized 1x Replicated". */
  description(): string {
    if (!this.useDisk && !this.useMemory) return 'None';
    const places = [this.useDisk ? 'Disk' : '', this.useMemory ? 'Memory' : ''].filter(Boolean).join(' ');
    return `${places} ${this.useMemory ? 'Deserialized' : 'Serialized'} 1x Replicated`;
  }

  toString(): string {
    return `StorageLevel(${this.useDisk}, ${this.useMemory}, false, ${this.useMemory}, 1)`;
  }
}
