export { DStream, type KeyState } from './dstream.js';
export {
  type AddOutcome,
  type ClosedEarly,
  type ClosedWindow,
  EventTimeAggregator,
  type EventTimeAggregatorOptions,
} from './event-time-aggregator.js';
export { PerSourceAggregator, type PerSourceAggregatorOptions, type SourceCheckpoint } from './per-source-aggregator.js';
export { QueueInputDStream } from './queue-input-dstream.js';
export { type Clock, StreamingContext, systemClock } from './streaming-context.js';
export { Watermark } from './watermark.js';
export { assignWindows, checkWindowSpec, type EventWindow, type WindowSpec } from './window-spec.js';
