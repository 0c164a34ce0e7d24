// Every module of the streaming layer imports from here, and only from here. The order below is
// the order of evaluation: DStream must exist before the node classes that extend it, while
// dstream.ts itself needs those classes only inside method bodies, at call time (the engine's
// rdd/internal.ts does the same).
export { KeyMap, type RDD } from '../rdd/index.js';
export * from './dstream.js';
export * from './event-time-windowed-dstream.js';
export * from './queue-input-dstream.js';
export * from './reduced-windowed-dstream.js';
export * from './state-dstream.js';
export * from './streaming-context.js';
export * from './transformed-dstream.js';
export * from './transformed-with-dstream.js';
export * from './union-dstream.js';
export * from './window-batches.js';
export * from './window-spec.js';
export * from './windowed-dstream.js';
