import { OneParentRDD, type Partition, type RDD, RddError, type TaskContext, userFunctionError } from './internal.js';

/** One element-wise step: look at an item, emit zero or more results. */
export type ElementStep<T, U> = (item: T, emit: (result: U) => void) => void;

/**
 * An element-wise transformation (map, filter, flatMap, keyBy, mapValues, keys, values...).
 * Chains of these stream each record through every step into the consumer, as PySpark's
 * PipelinedRDD fuses functions: a shuffle's map-side combine, say, receives each [key, value]
 * as it is made, so no array of intermediate records is ever built. Computed for a cache or
 * an action, it collects what it emits.
 */
export class ElementwiseRDD<T, U> extends OneParentRDD<T, U> {
  constructor(
    prev: RDD<T>,
    creationSite: string,
    private readonly step: ElementStep<T, U>,
    preservesPartitioning = false,
  ) {
    super(prev, creationSite, preservesPartitioning);
  }

  async compute(split: Partition, task: TaskContext): Promise<readonly U[]> {
    const out: U[] = [];
    await this.streamCompute(split, task, (item) => out.push(item));
    return out;
  }

  protected override streamCompute(split: Partition, task: TaskContext, emit: (item: U) => void): Promise<void> {
    const step = this.step;
    const onRecordError = this.context.onRecordError;
    return this.prev.forEachInPartition(split, task, (item) => {
      try {
        step(item, emit);
      } catch (error) {
        // An error from further down the chain arrives already wrapped and passes through.
        const wrapped = userFunctionError(this.creationSite, this, error);
        if (!onRecordError || error instanceof RddError) throw wrapped;
        onRecordError(wrapped, item); // the context's policy: this record is skipped
      }
    });
  }
}
