// Every module of the engine imports from here, and only from here. The order below is the
// order of evaluation: RDD must exist before the node classes that extend it, while rdd.ts
// itself needs those classes only inside method bodies, at call time. Importing the modules
// from each other directly would let a node class be evaluated before RDD, and fail.
export * from './errors.js';
export * from './keys.js';
export * from './random.js';
export * from './clone-zero.js';
export * from './partition.js';
export * from './storage-level.js';
export * from './stat-counter.js';
export * from './partitioner.js';
export * from './rdd.js';
export * from './dependency.js';
export * from './one-parent-rdd.js';
export * from './map-partitions-rdd.js';
export * from './elementwise-rdd.js';
export * from './parallel-collection-rdd.js';
export * from './range-rdd.js';
export * from './empty-rdd.js';
export * from './text-file-rdd.js';
export * from './union-rdd.js';
export * from './coalesced-rdd.js';
export * from './cartesian-rdd.js';
export * from './zipped-partitions-rdd.js';
export * from './zipped-with-index-rdd.js';
export * from './shuffled-rdd.js';
export * from './co-grouped-rdd.js';
export * from './checkpoint-rdd.js';
export * from './debug-string.js';
export * as pairs from './pair-functions.js';
export * as actions from './actions.js';
export * from './block-manager.js';
export * from './shuffle-store.js';
export * from './dag-scheduler.js';
export * from './context.js';
