export {
  type AddOutcome,
  type ClosedEarly,
  type ClosedWindow,
  EventTimeAggregator,
  type EventTimeAggregatorOptions,
} from './event-time-aggregator.js';
export {
  type BatchErrorHandler,
  DStream,
  type EventTimeAggregation,
  type EventTimeResult,
  EventTimeWindowedDStream,
  type KeyState,
  QueueInputDStream,
  type StreamingCheckpoint,
  StreamingContext,
} from './internal.js';
export { PerSourceAggregator, type PerSourceAggregatorOptions, type SourceCheckpoint } from './per-source-aggregator.js';
export { type Clock, systemClock } from './streaming-context.js';
export { Watermark } from './watermark.js';
export { assignWindows, checkWindowSpec, type EventWindow, type WindowSpec } from './window-spec.js';
