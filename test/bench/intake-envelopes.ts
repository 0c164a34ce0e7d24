import { encodeEnvelope, MetricState, type PartitionEnvelope } from '@fogline/shared';

/**
 * The envelopes a gateway forwards for `windows` one-minute windows of `devices` devices (one
 * metric, a reading a second), in `partitions` envelopes per window: what the intake
 * benchmarks merge.
 */
export function gatewayEnvelopes(gatewayId: string, windows: number, devices: number, partitions = 4): Uint8Array[] {
  const windowStartMs = Date.UTC(2026, 10, 24, 8, 0);
  const perPartition = Math.ceil(devices / partitions);
  return Array.from({ length: windows * partitions }, (_, seq) => {
    const partition = seq % partitions;
    const window = Math.floor(seq / partitions);
    const envelope: PartitionEnvelope = {
      gatewayId,
      incarnation: 'bench',
      firstSeq: 0,
      seq,
      windowStartMs: windowStartMs + window * 60_000,
      windowEndMs: windowStartMs + (window + 1) * 60_000,
      partition,
      partitionCount: partitions,
      createdAtMs: windowStartMs,
      records: Array.from({ length: perPartition }, (_, r) => [
        [`${gatewayId}-dev-${partition * perPartition + r}`, 'temperature'],
        MetricState.of(Array.from({ length: 60 }, (_, s): [number, number] => [20 + ((r + s) % 30) / 10, windowStartMs + s * 1000])),
      ]),
    };
    return encodeEnvelope(envelope);
  });
}
