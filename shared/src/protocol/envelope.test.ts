import { describe, expect, it } from 'vitest';
import { MetricState } from '../aggregates/index.js';
import { decodeEnvelope, EnvelopeError, encodeEnvelope, envelopeFormatVersion, type PartitionEnvelope } from './envelope.js';
import { cloudTopics, deviceTopics, parseDeviceTopic } from './topics.js';

function envelope(records = 3): PartitionEnvelope {
  return {
    gatewayId: 'gw-lisbon',
    seq: 42,
    windowStartMs: 1_732_400_000_000,
    windowEndMs: 1_732_400_060_000,
    partition: 1,
    partitionCount: 4,
    createdAtMs: 1_732_400_061_000,
    records: Array.from({ length: records }, (_, i) => [
      [`atm-${i}`, 'temperature'],
      MetricState.of(Array.from({ length: 60 }, (_, s): [number, number] => [20 + i + (s % 7) / 10, 1_732_400_000_000 + s * 1000])),
    ]),
  };
}

describe('partition envelope', () => {
  it('round-trips every field and state', () => {
    const original = envelope();
    const decoded = decodeEnvelope(encodeEnvelope(original));
    expect({ ...decoded, records: [] }).toEqual({ ...original, records: [] });
    expect(decoded.records.map(([key, s]) => [key, s.summary()])).toEqual(original.records.map(([key, s]) => [key, s.summary()]));
  });

  it('puts the format version in the first byte and compresses large bodies', () => {
    const small = encodeEnvelope(envelope(1));
    const large = encodeEnvelope(envelope(200));
    expect(small[0]).toBe(envelopeFormatVersion);
    expect(small[1]).toBe(0);
    expect(large[1]).toBe(1);
    expect(decodeEnvelope(large).records).toHaveLength(200);
    expect(encodeEnvelope(envelope(200), { compressAboveBytes: Number.POSITIVE_INFINITY }).length).toBeGreaterThan(large.length);
  });

  it('refuses a newer format with a clear error, before parsing anything else', () => {
    const bytes = encodeEnvelope(envelope());
    bytes[0] = envelopeFormatVersion + 1;
    expect(() => decodeEnvelope(bytes)).toThrow(EnvelopeError);
    expect(() => decodeEnvelope(bytes)).toThrow(`envelope format version ${envelopeFormatVersion + 1} is newer than this reader supports`);
    try {
      decodeEnvelope(bytes);
    } catch (error) {
      expect((error as EnvelopeError).code).toBe('ENVELOPE_VERSION_UNSUPPORTED');
    }
  });

  it('names the field at fault in a malformed envelope', () => {
    expect(() => decodeEnvelope(Buffer.from([1]))).toThrow('envelope: length was 1, expected at least 2 bytes');
    expect(() => decodeEnvelope(Buffer.from([1, 0, 0xff, 0xff]))).toThrow('envelope:');
    expect(() => decodeEnvelope(encodeEnvelope({ ...envelope(), partition: 9 }))).toThrow(
      'envelope: partition was 9, expected an integer from 0 to 3',
    );
    expect(() => decodeEnvelope(encodeEnvelope({ ...envelope(), gatewayId: '' }))).toThrow('envelope: gatewayId was ""');
  });
});

describe('topics', () => {
  it('parses the device contract and refuses anything else', () => {
    expect(parseDeviceTopic('telemetry/atm-1')).toEqual({ kind: 'telemetry', deviceId: 'atm-1' });
    expect(parseDeviceTopic('telemetry/atm-1/temperature')).toEqual({ kind: 'telemetry', deviceId: 'atm-1', metric: 'temperature' });
    expect(parseDeviceTopic('events/atm-1')).toEqual({ kind: 'events', deviceId: 'atm-1' });
    expect(parseDeviceTopic('commands/atm-1')).toEqual({ kind: 'commands', deviceId: 'atm-1' });
    for (const bad of ['telemetry', 'telemetry/', 'telemetry/a/b/c', 'events/a/b', 'other/a', ''])
      expect(parseDeviceTopic(bad)).toBeUndefined();
    expect(deviceTopics.telemetry('a', 'b')).toBe('telemetry/a/b');
    expect(cloudTopics.partition('gw', 3)).toBe('fogline/v1/gw/partitions/3');
  });
});
