import { encodeEnvelope, MetricState, type PartitionEnvelope } from '@fogline/shared';

/** A window the fixtures' envelopes cover, unless told otherwise. */
export const fixtureWindow = { windowStartMs: 1_732_400_040_000, windowEndMs: 1_732_400_100_000 };

export const partitionTopic = (gatewayId: string) => `fogline/v1/${gatewayId}/partitions/0`;

/** An encoded partition envelope of [deviceId, metric, values] records, readings one second apart. */
export function envelope(
  gatewayId: string,
  seq: number,
  records: [string, string, number[]][],
  window: { windowStartMs: number; windowEndMs: number } = fixtureWindow,
  incarnation = { incarnation: 'inc-1', firstSeq: 0, createdAtMs: window.windowEndMs + 1000 },
): Uint8Array {
  const e: PartitionEnvelope = {
    gatewayId,
    incarnation: incarnation.incarnation,
    firstSeq: incarnation.firstSeq,
    seq,
    ...window,
    partition: 0,
    partitionCount: 1,
    createdAtMs: incarnation.createdAtMs,
    records: records.map(([deviceId, metric, values]) => [
      [deviceId, metric],
      MetricState.of(values.map((v, i): [number, number] => [v, window.windowStartMs + i * 1000])),
    ]),
  };
  return encodeEnvelope(e);
}
