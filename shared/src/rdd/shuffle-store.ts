import { RddError, type RddMetrics, type ShuffleDependency } from './internal.js';

/** One map stage's output: buckets[mapIndex][reduceIndex] holds the records for that reducer. */
interface ShuffleOutput {
  readonly buckets: unknown[][][];
  readonly consumed: boolean[];
  readonly ownerJobId: number;
  records: number;
}

const TAKEN: unknown[] = [];

/**
 * Holds shuffle map outputs in memory between a map stage and the reducers that read them.
 *
 * Each reduce partition's buckets are handed out once and then let go: reducers may merge into
 * the combiners they receive (aggregateByKey's mutable combiners), so handing the same bucket
 * out twice would count twice. A reducer that finds its buckets gone (read before, or released)
 * has the map stage run again, which lineage makes safe. Outputs also go when the top-level job
 * that made them ends, so a long-running gateway does not accumulate them.
 *
 * Bounded by shuffleRecordsMax: a map stage that would hold more fails its job with
 * RDD_SHUFFLE_FULL rather than exhaust the process's memory.
 */
export class ShuffleStore {
  private readonly outputs = new Map<number, ShuffleOutput>();
  private readonly running = new Map<number, Promise<ShuffleOutput>>();
  private recordsHeld = 0;

  constructor(
    private readonly shuffleRecordsMax: number,
    private readonly metrics: RddMetrics,
  ) {}

  /** The buckets addressed to reduceIndex, one per map partition; runs the map stage when needed. */
  async read(
    dependency: ShuffleDependency<unknown, unknown, unknown>,
    reduceIndex: number,
    runMapStage: () => Promise<unknown[][][]>,
    ownerJobId: number,
  ): Promise<unknown[][]> {
    for (;;) {
      let output = this.outputs.get(dependency.shuffleId);
      if (!output || output.consumed[reduceIndex]) output = await this.produce(dependency, runMapStage, ownerJobId);
      if (output.consumed[reduceIndex]) continue; // another reader of the same job raced us
      output.consumed[reduceIndex] = true;
      const taken = output.buckets.map((perReducer) => {
        const bucket = perReducer[reduceIndex];
        perReducer[reduceIndex] = TAKEN;
        output.records -= bucket.length;
        this.recordsHeld -= bucket.length;
        return bucket;
      });
      if (output.consumed.every(Boolean)) this.outputs.delete(dependency.shuffleId);
      return taken;
    }
  }

  /** Lets go of the outputs a finished top-level job made. */
  releaseJob(jobId: number): void {
    for (const [shuffleId, output] of this.outputs) {
      if (output.ownerJobId === jobId) this.drop(shuffleId, output);
    }
  }

  get shuffleRecordsHeld(): number {
    return this.recordsHeld;
  }

  private produce(
    dependency: ShuffleDependency<unknown, unknown, unknown>,
    runMapStage: () => Promise<unknown[][][]>,
    ownerJobId: number,
  ): Promise<ShuffleOutput> {
    const id = dependency.shuffleId;
    let pending = this.running.get(id);
    if (!pending) {
      pending = runMapStage()
        .then((buckets) => this.register(dependency, buckets, ownerJobId))
        .finally(() => this.running.delete(id));
      this.running.set(id, pending);
    }
    return pending;
  }

  private register(dependency: ShuffleDependency<unknown, unknown, unknown>, buckets: unknown[][][], ownerJobId: number): ShuffleOutput {
    const previous = this.outputs.get(dependency.shuffleId);
    if (previous) this.drop(dependency.shuffleId, previous);
    let records = 0;
    for (const perReducer of buckets) for (const bucket of perReducer) records += bucket.length;
    if (this.recordsHeld + records > this.shuffleRecordsMax) {
      this.metrics.shufflesRefused++;
      throw new RddError(
        'RDD_SHUFFLE_FULL',
        `shuffle ${dependency.shuffleId} (${dependency.operation}) would hold ${records} records beside ${this.recordsHeld} already held, over shuffleRecordsMax ${this.shuffleRecordsMax}`,
      );
    }
    const output: ShuffleOutput = {
      buckets,
      consumed: new Array<boolean>(dependency.partitioner.numPartitions).fill(false),
      ownerJobId,
      records,
    };
    this.outputs.set(dependency.shuffleId, output);
    this.recordsHeld += records;
    this.metrics.shuffleRecordsWritten += records;
    return output;
  }

  private drop(shuffleId: number, output: ShuffleOutput): void {
    this.outputs.delete(shuffleId);
    this.recordsHeld -= output.records;
  }
}
