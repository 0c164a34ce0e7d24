import { availableParallelism } from 'node:os';
import {
  BlockManager,
  checkPartitionCount,
  DagScheduler,
  EmptyRDD,
  invalidArgument,
  type JobInfo,
  ParallelCollectionRDD,
  RangeRDD,
  type RDD,
  RddError,
  type ShuffleDependency,
  ShuffleStore,
  TextFileRDD,
  UnionRDD,
} from './internal.js';

export interface RddContextOptions {
  /** Partitions for parallelize and range when none are given; default: the machine's cores. */
  readonly defaultParallelism?: number;
  /** Where disk-persisted partitions and checkpoints go (a fresh folder inside it, removed on stop); default: the OS temp folder. */
  readonly localDir?: string;
  /** Records kept by cache()/persist() in memory across the context; least recently used go first. Default 5,000,000. */
  readonly memoryStoreRecordsMax?: number;
  /** Bytes of persisted partitions and checkpoints on disk; writes past it are refused. Default 1 GiB. */
  readonly diskStoreBytesMax?: number;
  /** Records shuffle map stages may hold at once; a job past it fails with RDD_SHUFFLE_FULL. Default 20,000,000. */
  readonly shuffleRecordsMax?: number;
  /**
   * What happens when a user function of an element-wise step (map, filter, flatMap,
   * mapValues...) throws on one record. Unset: the job fails, as Spark's does. Set: the record
   * is handed here with the error and skipped, and its neighbours go on (a streaming job's
   * dead-letter policy; Kafka Streams calls it log-and-continue).
   */
  readonly onRecordError?: RecordErrorHandler;
}

/** Told of a record an element-wise step threw on, which is then skipped. */
export type RecordErrorHandler = (error: RddError, record: unknown) => void;

/** Counters of what the engine did and what its limits refused; never reset. */
export interface RddMetrics {
  jobsRun: number;
  stagesRun: number;
  shuffleMapStagesRun: number;
  tasksRun: number;
  shuffleRecordsWritten: number;
  shufflesRefused: number;
  blocksComputed: number;
  blockMemoryHits: number;
  blockDiskHits: number;
  memoryBlocksEvicted: number;
  memoryBlocksRefused: number;
  diskBlocksRefused: number;
}

/**
 * The entry point, as PySpark's SparkContext: creates RDDs and runs their jobs in this process.
 *
 * @example
 * const ctx = new RddContext({ defaultParallelism: 4 });
 * const total = await ctx.range(1, 101).sum(); // 5050
 * await ctx.stop();
 */
export class RddContext {
  readonly defaultParallelism: number;
  readonly metrics: RddMetrics = {
    jobsRun: 0,
    stagesRun: 0,
    shuffleMapStagesRun: 0,
    tasksRun: 0,
    shuffleRecordsWritten: 0,
    shufflesRefused: 0,
    blocksComputed: 0,
    blockMemoryHits: 0,
    blockDiskHits: 0,
    memoryBlocksEvicted: 0,
    memoryBlocksRefused: 0,
    diskBlocksRefused: 0,
  };
  readonly blockManager: BlockManager;
  /** See RddContextOptions.onRecordError. */
  readonly onRecordError: RecordErrorHandler | undefined;
  private readonly scheduler: DagScheduler;
  private nextRddId = 0;
  private nextShuffleId = 0;
  private stopped = false;

  constructor(options: RddContextOptions = {}) {
    this.defaultParallelism = checkPartitionCount('RddContext', 'defaultParallelism', options.defaultParallelism ?? availableParallelism());
    this.onRecordError = options.onRecordError;
    const limit = (name: keyof RddContextOptions, fallback: number): number => {
      const value = (options[name] as number | undefined) ?? fallback;
      if (!Number.isInteger(value) || value < 0) invalidArgument('RddContext', name, value, 'an integer >= 0');
      return value;
    };
    this.blockManager = new BlockManager(
      { memoryStoreRecordsMax: limit('memoryStoreRecordsMax', 5_000_000), diskStoreBytesMax: limit('diskStoreBytesMax', 1 << 30) },
      this.metrics,
      options.localDir,
    );
    this.scheduler = new DagScheduler(new ShuffleStore(limit('shuffleRecordsMax', 20_000_000), this.metrics), this.metrics);
  }

  /** An RDD of the given elements, sliced into numSlices partitions as Spark slices. @example ctx.parallelize([1, 2, 3], 2) */
  parallelize<T>(data: Iterable<T>, numSlices = this.defaultParallelism): RDD<T> {
    checkPartitionCount('parallelize', 'numSlices', numSlices);
    return new ParallelCollectionRDD<T>(this, Array.isArray(data) ? data.slice() : Array.from(data), numSlices);
  }

  /** The numbers start, start+step, ... below end; range(n) is 0..n-1. @example ctx.range(0, 10, 2) // 0 2 4 6 8 */
  range(start: number, end?: number, step = 1, numSlices = this.defaultParallelism): RDD<number> {
    if (end === undefined) [start, end] = [0, start];
    if (!Number.isFinite(start)) invalidArgument('range', 'start', start, 'a finite number');
    if (!Number.isFinite(end)) invalidArgument('range', 'end', end, 'a finite number');
    if (!Number.isFinite(step) || step === 0) invalidArgument('range', 'step', step, 'a finite non-zero number');
    checkPartitionCount('range', 'numSlices', numSlices);
    return new RangeRDD(this, start, step, end, numSlices);
  }

  /** The union of several RDDs, partitions side by side. @example ctx.union([a, b, c]) */
  union<T>(rdds: readonly RDD<T>[]): RDD<T> {
    if (rdds.length === 0) invalidArgument('union', 'rdds', rdds, 'at least one RDD');
    return new UnionRDD<T>(this, rdds);
  }

  /** An RDD with no partitions and no elements. @example ctx.emptyRDD() */
  emptyRDD<T>(): RDD<T> {
    return new EmptyRDD<T>(this);
  }

  /** The lines of a text file, or of the files of a directory. @example ctx.textFile('readings.csv', 4) */
  textFile(path: string, minPartitions = Math.min(this.defaultParallelism, 2)): RDD<string> {
    checkPartitionCount('textFile', 'minPartitions', minPartitions);
    return new TextFileRDD(this, path, minPartitions);
  }

  /** Closes the disk store and removes the local folder; the context runs no more jobs. @example await ctx.stop() */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.blockManager.close();
  }

  /** Runs func on the given partitions (all by default) of rdd; the heart of every action. */
  runJob<T, R>(
    rdd: RDD<T>,
    func: (items: readonly T[], index: number) => R,
    operation: string,
    partitionIds?: readonly number[],
  ): Promise<R[]> {
    if (this.stopped) {
      return Promise.reject(new RddError('RDD_CONTEXT_STOPPED', `${operation} on ${rdd}: the RddContext was stopped`));
    }
    return this.scheduler.runJob(rdd, func, operation, partitionIds);
  }

  /** The most recent jobs with their stages, oldest first (at most jobHistoryMax). */
  jobs(): readonly JobInfo[] {
    return this.scheduler.jobs();
  }

  /** Used by shuffle-reading node classes. */
  readShuffle(dependency: ShuffleDependency<unknown, unknown, unknown>, reduceIndex: number): Promise<unknown[][]> {
    return this.scheduler.readShuffle(dependency, reduceIndex);
  }

  newRddId(): number {
    return this.nextRddId++;
  }

  newShuffleId(): number {
    return this.nextShuffleId++;
  }
}
