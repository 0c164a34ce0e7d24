import { decodeEnvelope, encodeEnvelope, MetricState, type PartitionEnvelope } from '@fogline/shared';

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

/** The baseline of the intake benchmarks: decode every envelope and merge its records per (device, metric, window), in memory. */
export function decodeAndMergeInMemory(envelopes: readonly Uint8Array[]): number {
  const states = new Map<string, MetricState>();
  for (const bytes of envelopes) {
    const envelope = decodeEnvelope(bytes);
    for (const [[deviceId, metric], state] of envelope.records) {
      const key = `${deviceId}/${metric}/${envelope.windowStartMs}`;
      const current = states.get(key);
      if (current) current.merge(state);
      else states.set(key, state);
    }
  }
  return states.size;
}
