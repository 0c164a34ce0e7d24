/** One slice of an RDD. Node classes extend it with what they need to compute the slice. */
export interface Partition {
  readonly index: number;
}

/** What a running task knows about itself. */
export interface TaskContext {
  readonly jobId: number;
  readonly stageId: number;
  readonly partitionId: number;
}

export function indexPartitions(count: number): Partition[] {
  return Array.from({ length: count }, (_, index) => ({ index }));
}
