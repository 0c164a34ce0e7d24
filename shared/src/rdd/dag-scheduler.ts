import { AsyncLocalStorage } from 'node:async_hooks';
import {
  invalidArgument,
  keyCombiner,
  type Partition,
  RangePartitioner,
  type RDD,
  type RddMetrics,
  type ShuffleDependency,
  type ShuffleStore,
  type TaskContext,
  userFunctionError,
} from './internal.js';

export interface StageInfo {
  readonly stageId: number;
  /** A shuffle map stage writes buckets for a shuffle; the result stage runs the action. */
  readonly kind: 'shuffle-map' | 'result';
  readonly rddId: number;
  readonly numTasks: number;
  readonly shuffleId?: number;
}

export interface JobInfo {
  readonly jobId: number;
  readonly operation: string;
  readonly rddId: number;
  readonly stages: StageInfo[];
  status: 'running' | 'succeeded' | 'failed';
}

interface RunningJob {
  readonly job: JobInfo;
  readonly topLevelJobId: number;
}

/** Jobs remembered for inspection (ctx.jobs()); older ones are forgotten first. */
export const jobHistoryMax = 100;

/**
 * Runs jobs as Spark's DAGScheduler does, in one process. A job's result stage computes the
 * requested partitions of the final RDD, each task pipelining every narrow step of its stage
 * (map, filter, mapValues...) through RDD.iterator. Where a task meets a shuffle dependency,
 * the shuffle's map stage runs first (unless its output is already held): it computes every
 * partition of the parent, combines values per key map-side when the aggregator asks, and
 * buckets the records by the partitioner. Stages are thereby cut exactly at shuffle
 * dependencies, and parents' stages run before their children's.
 *
 * Tasks run one after another and yield to the event loop between them, so a gateway's broker
 * keeps serving while a job runs.
 */
export class DagScheduler {
  private nextJobId = 0;
  private nextStageId = 0;
  private readonly history: JobInfo[] = [];
  private readonly current = new AsyncLocalStorage<RunningJob>();

  constructor(
    private readonly shuffles: ShuffleStore,
    private readonly metrics: RddMetrics,
  ) {}

  async runJob<T, R>(
    rdd: RDD<T>,
    func: (items: readonly T[], index: number) => R,
    operation: string,
    partitionIds?: readonly number[],
  ): Promise<R[]> {
    const partitions = rdd.partitions();
    const ids = partitionIds ?? partitions.map((p) => p.index);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= partitions.length) {
        invalidArgument(operation, 'partition', id, `an index below ${partitions.length}`);
      }
    }
    const parent = this.current.getStore();
    const job: JobInfo = { jobId: this.nextJobId++, operation, rddId: rdd.rddId, stages: [], status: 'running' };
    this.remember(job);
    this.metrics.jobsRun++;
    const running: RunningJob = { job, topLevelJobId: parent?.topLevelJobId ?? job.jobId };
    try {
      const results = await this.current.run(running, () => this.runResultStage(rdd, func, operation, partitions, ids));
      if (!parent) await this.current.run(running, () => rdd.doCheckpoint());
      job.status = 'succeeded';
      return results;
    } catch (error) {
      job.status = 'failed';
      throw error;
    } finally {
      if (!parent) this.shuffles.releaseJob(job.jobId);
    }
  }

  /** The buckets for one reduce partition of a shuffle, running its map stage if needed. */
  readShuffle(dependency: ShuffleDependency<unknown, unknown, unknown>, reduceIndex: number): Promise<unknown[][]> {
    const running = this.current.getStore();
    if (!running) throw new Error('readShuffle outside a job');
    return this.shuffles.read(dependency, reduceIndex, () => this.runShuffleMapStage(dependency, running), running.topLevelJobId);
  }

  /** The most recent jobs, oldest first. */
  jobs(): readonly JobInfo[] {
    return this.history;
  }

  private async runResultStage<T, R>(
    rdd: RDD<T>,
    func: (items: readonly T[], index: number) => R,
    operation: string,
    partitions: readonly Partition[],
    ids: readonly number[],
  ): Promise<R[]> {
    const stageId = this.addStage('result', rdd.rddId, ids.length);
    const results: R[] = [];
    for (const id of ids) {
      const items = await this.runTask(rdd, partitions[id], stageId);
      try {
        results.push(func(items, id));
      } catch (error) {
        throw userFunctionError(operation, rdd, error);
      }
    }
    return results;
  }

  private async runShuffleMapStage(dependency: ShuffleDependency<unknown, unknown, unknown>, running: RunningJob): Promise<unknown[][][]> {
    const parent = dependency.rdd;
    const partitions = parent.partitions();
    const stageId = this.addStage('shuffle-map', parent.rddId, partitions.length, dependency.shuffleId, running.job);
    this.metrics.shuffleMapStagesRun++;
    const outputs: (readonly (readonly [unknown, unknown])[])[] = [];
    for (const split of partitions) outputs.push(await this.runMapTask(dependency, split, stageId));
    const { partitioner } = dependency;
    if (partitioner instanceof RangePartitioner && partitioner.needsPreparation) {
      partitioner.prepare(outputs.flatMap((records) => records.map((record) => record[0])));
    }
    return outputs.map((records) => {
      const buckets: unknown[][] = Array.from({ length: partitioner.numPartitions }, () => []);
      for (let i = 0; i < records.length; i++) buckets[partitioner.getPartition(records[i][0])].push(records[i]);
      return buckets;
    });
  }

  /** One map task: the parent's records, combined per key as they stream in when the aggregator asks. */
  private async runMapTask(
    dependency: ShuffleDependency<unknown, unknown, unknown>,
    split: Partition,
    stageId: number,
  ): Promise<readonly (readonly [unknown, unknown])[]> {
    const task = await this.startTask(split, stageId);
    if (!dependency.aggregator || !dependency.mapSideCombine) return dependency.rdd.iterator(split, task);
    const { combined, add } = keyCombiner(dependency.aggregator);
    const combine = (pair: readonly [unknown, unknown]) => {
      try {
        add(pair);
      } catch (error) {
        throw userFunctionError(dependency.operation, dependency.rdd, error);
      }
    };
    await dependency.rdd.forEachInPartition(split, task, combine);
    return combined.toPairs();
  }

  private async runTask<T>(rdd: RDD<T>, split: Partition, stageId: number): Promise<readonly T[]> {
    return rdd.iterator(split, await this.startTask(split, stageId));
  }

  // Yields to the event loop before every task, so a long job never starves the process.
  private async startTask(split: Partition, stageId: number): Promise<TaskContext> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const running = this.current.getStore();
    this.metrics.tasksRun++;
    return { jobId: running?.job.jobId ?? -1, stageId, partitionId: split.index };
  }

  private addStage(kind: StageInfo['kind'], rddId: number, numTasks: number, shuffleId?: number, job?: JobInfo): number {
    const stageId = this.nextStageId++;
    (job ?? this.current.getStore()?.job)?.stages.push({ stageId, kind, rddId, numTasks, shuffleId });
    this.metrics.stagesRun++;
    return stageId;
  }

  private remember(job: JobInfo): void {
    this.history.push(job);
    if (this.history.length > jobHistoryMax) this.history.shift();
  }
}
