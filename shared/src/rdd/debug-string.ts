import { type RDD, ShuffleDependency } from './internal.js';

/**
 * The lineage as Spark prints it: one line per RDD with its partition count, "+-" where a
 * shuffle dependency starts a new stage, "|" for narrow dependencies, and the storage level.
 *
 *     (2) ShuffledRDD[3] at reduceByKey []
 *      +-(2) MapPartitionsRDD[2] at map []
 *         |  ParallelCollectionRDD[1] at parallelize []
 */
export function debugString(rdd: RDD<unknown>): string {
  const partitionText = `(${rdd.getNumPartitions()})`;
  const nextPrefix = childPrefix('', partitionText, false, true);
  return [`${partitionText} ${describe(rdd)}`, ...children(rdd, nextPrefix)].join('\n');
}

function describe(rdd: RDD<unknown>): string {
  const level = rdd.getStorageLevel();
  return `${rdd} [${level.useDisk || level.useMemory ? level.description() : ''}]`;
}

function childPrefix(prefix: string, partitionText: string, isLastChild: boolean, first: boolean): string {
  const leftOffset = Math.floor((partitionText.length - 1) / 2);
  const bar = `${' '.repeat(leftOffset)}|${' '.repeat(partitionText.length - leftOffset)}`;
  return first ? bar : `${prefix}${isLastChild ? '  ' : '| '}${bar}`;
}

function children(rdd: RDD<unknown>, prefix: string): string[] {
  const dependencies = rdd.dependencies();
  return dependencies.flatMap((dependency, i) =>
    lines(dependency.rdd, prefix, dependency instanceof ShuffleDependency, i === dependencies.length - 1),
  );
}

function lines(rdd: RDD<unknown>, prefix: string, isShuffle: boolean, isLastChild: boolean): string[] {
  if (!isShuffle) return [`${prefix}${describe(rdd)}`, ...children(rdd, prefix)];
  const partitionText = `(${rdd.getNumPartitions()})`;
  const thisPrefix = prefix.replace(/\|\s+$/, '');
  return [`${thisPrefix}+-${partitionText} ${describe(rdd)}`, ...children(rdd, childPrefix(thisPrefix, partitionText, isLastChild, false))];
}
