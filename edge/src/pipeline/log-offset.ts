import type { Reading } from '@fogline/shared';

/**
 * Where a reading sits in the ingest log, carried on the reading itself through a job: the
 * windows need it to know from where a restart replays them. A symbol, so that it is not in
 * the reading's JSON, yet a spread copies it: a reading a job derives with
 * `{ ...reading, metric, value }` keeps the offset of the one it came from.
 */
export const logOffset: unique symbol = Symbol('fogline.logOffset');

/** A reading as it travels through a job: maybe tagged with its log offset. */
export type OffsetReading = Reading & { [logOffset]?: number };

/**
 * The log offset of a reading: its tag, or for one a job made from nothing, the newest offset
 * of its micro-batch (replay reaches it no earlier than that). Infinity: not in the log (QoS 0
 * on the fast path).
 */
export function offsetOf(reading: OffsetReading, batchOffsetMax: number): number {
  return reading[logOffset] ?? batchOffsetMax;
}

/** Tags readings with their log entry's offset, in place (they are fresh from decode). */
export function tagOffsets(readings: readonly Reading[], offset: number): readonly OffsetReading[] {
  for (const reading of readings) (reading as { [logOffset]?: number })[logOffset] = offset;
  return readings;
}
