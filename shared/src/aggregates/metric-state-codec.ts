import { Packr } from 'msgpackr';
import type { BucketStore } from './ddsketch.js';
import { MetricState, type SketchBuckets } from './metric-state.js';

/** The first element of every encoded state; a decoder refuses versions it does not know. */
export const metricStateFormatVersion = 1;

// msgpackr: compact, fast, well kept; raw arrays (no records extension) so any MessagePack
// reader can decode a state. Numbers that are integers go as ints, others as float64.
const packr = new Packr({ useRecords: false, variableMapSize: true });

export class MetricStateDecodeError extends Error {
  readonly code = 'METRIC_STATE_INVALID';
}

/**
 * The wire form of a MetricState: a MessagePack array
 * [version, count, sumPartials[], min, max, runningMean, m2, firstTs, first, lastTs, last, sketch]
 * where sketch is [zeroCount, positiveMinKey, positiveCounts[], negativeMinKey, negativeCounts[]]:
 * only the occupied range of buckets, as small integers. (DDSketch's own protobuf form pads
 * to 128-bucket chunks, about 1 KiB for readings that occupy three buckets.) Empty states
 * encode min/max/first/last as null.
 *
 * @example const bytes = encodeMetricState(state); decodeMetricState(bytes).count === state.count
 */
export function encodeMetricState(state: MetricState): Uint8Array {
  return packr.pack(metricStateToArray(state));
}

/** The array form, for embedding in a larger MessagePack message (an envelope's records). */
export function metricStateToArray(state: MetricState): unknown[] {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return [
    metricStateFormatVersion,
    state.count,
    state.sum.partials,
    finite(state.min),
    finite(state.max),
    state.runningMeanValue,
    state.m2Value,
    finite(state.firstTs),
    finite(state.first),
    finite(state.lastTs),
    finite(state.last),
    sketchToArray(state.sketch),
  ];
}

export function decodeMetricState(bytes: Uint8Array): MetricState {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    throw new MetricStateDecodeError(`metric state: not valid MessagePack (${(error as Error).message})`);
  }
  return metricStateFromArray(value);
}

function field(value: unknown, name: string, expected: string, ok: boolean): void {
  if (!ok) throw new MetricStateDecodeError(`metric state: ${name} was ${JSON.stringify(value) ?? String(value)}, expected ${expected}`);
}

export function metricStateFromArray(value: unknown): MetricState {
  field(value, 'state', 'an array of 12 fields', Array.isArray(value) && value.length === 12);
  const [version, count, sumPartials, min, max, runningMean, m2, firstTs, first, lastTs, last, sketch] = value as unknown[];
  field(version, 'version', `format version ${metricStateFormatVersion}`, version === metricStateFormatVersion);
  field(count, 'count', 'an integer >= 0', Number.isInteger(count) && (count as number) >= 0);
  field(sumPartials, 'sumPartials', 'an array of finite numbers', Array.isArray(sumPartials) && sumPartials.every(Number.isFinite));
  const optional = (x: unknown, name: string, fallback: number): number => {
    field(x, name, 'a finite number or null', x === null || Number.isFinite(x));
    return x === null ? fallback : (x as number);
  };
  field(runningMean, 'runningMean', 'a finite number', Number.isFinite(runningMean));
  field(m2, 'm2', 'a finite number', Number.isFinite(m2));
  const buckets = sketchFromArray(sketch);
  return MetricState.fromParts({
    count: count as number,
    sumPartials: sumPartials as number[],
    min: optional(min, 'min', Number.POSITIVE_INFINITY),
    max: optional(max, 'max', Number.NEGATIVE_INFINITY),
    runningMean: runningMean as number,
    m2: m2 as number,
    firstTs: optional(firstTs, 'firstTs', Number.POSITIVE_INFINITY),
    first: optional(first, 'first', Number.NaN),
    lastTs: optional(lastTs, 'lastTs', Number.NEGATIVE_INFINITY),
    last: optional(last, 'last', Number.NaN),
    sketchBuckets: buckets,
  });
}

function storeToArray(store: BucketStore): [number, number[]] {
  if (store.total === 0) return [0, []];
  // Trim empty buckets at both ends: only the occupied range travels.
  let first = 0;
  let last = store.counts.length - 1;
  while (store.counts[first] === 0) first++;
  while (store.counts[last] === 0) last--;
  return [store.minKey + first, store.counts.slice(first, last + 1)];
}

function sketchToArray(sketch: MetricState['sketch']): unknown[] {
  return [sketch.zeroCount, ...storeToArray(sketch.positive), ...storeToArray(sketch.negative)];
}

const isCountArray = (x: unknown) => Array.isArray(x) && x.every((n) => Number.isFinite(n) && n >= 0);

function sketchFromArray(value: unknown): SketchBuckets {
  field(value, 'sketch', 'an array of 5 fields', Array.isArray(value) && value.length === 5);
  const [zeroCount, positiveMinKey, positiveCounts, negativeMinKey, negativeCounts] = value as unknown[];
  field(zeroCount, 'sketch.zeroCount', 'a number >= 0', Number.isFinite(zeroCount) && (zeroCount as number) >= 0);
  field(positiveMinKey, 'sketch.positiveMinKey', 'an integer', Number.isInteger(positiveMinKey));
  field(positiveCounts, 'sketch.positiveCounts', 'an array of counts', isCountArray(positiveCounts));
  field(negativeMinKey, 'sketch.negativeMinKey', 'an integer', Number.isInteger(negativeMinKey));
  field(negativeCounts, 'sketch.negativeCounts', 'an array of counts', isCountArray(negativeCounts));
  return {
    zeroCount: zeroCount as number,
    positiveMinKey: positiveMinKey as number,
    positiveCounts: positiveCounts as number[],
    negativeMinKey: negativeMinKey as number,
    negativeCounts: negativeCounts as number[],
  };
}
