import { encodeEnvelope, MetricState } from '@fogline/shared';

/**
 * An encoded partition envelope of one 60 s window holding one device's metric: its values
 * one second apart from the window's start. What the lake and SQL tests send as a gateway would.
 */
export function oneRecordEnvelope(
  gatewayId: string,
  incarnation: string,
  seq: number,
  windowStartMs: number,
  [deviceId, metric, values]: [string, string, readonly number[]],
): Uint8Array {
  return encodeEnvelope({
    gatewayId,
    incarnation,
    firstSeq: 0,
    seq,
    windowStartMs,
    windowEndMs: windowStartMs + 60_000,
    partition: 0,
    partitionCount: 1,
    createdAtMs: windowStartMs + 61_000,
    records: [[[deviceId, metric], MetricState.of(values.map((v, i): [number, number] => [v, windowStartMs + i * 1000]))]],
  });
}
