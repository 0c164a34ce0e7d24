export { ExactSum } from './exact-sum.js';
export { MetricState, type MetricSummary, quantileRelativeAccuracy, sketchBucketsMax } from './metric-state.js';
export {
  encodeMetricState,
  decodeMetricState,
  metricStateToArray,
  metricStateFromArray,
  metricStateFormatVersion,
  MetricStateDecodeError,
} from './metric-state-codec.js';
