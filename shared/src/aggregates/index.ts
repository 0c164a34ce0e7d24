export { BucketStore, DDSketch } from './ddsketch.js';
export { ExactSum } from './exact-sum.js';
export { MetricState, type MetricSummary, quantileRelativeAccuracy, sketchBucketsMax } from './metric-state.js';
export {
  decodeMetricState,
  encodeMetricState,
  MetricStateDecodeError,
  metricStateFormatVersion,
  metricStateFromArray,
  metricStateToArray,
} from './metric-state-codec.js';
