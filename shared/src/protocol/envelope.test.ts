import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MetricState, metricStateToArray } from '../aggregates/index.js';
import { decodeEnvelope, EnvelopeError, encodeEnvelope, envelopeFormatVersion, type PartitionEnvelope } from './envelope.js';
import { cloudTopics, deviceTopics, parseDeviceTopic } from './topics.js';

function envelope(records = 3): PartitionEnvelope {
  return {
    gatewayId: 'gw-lisbon',
    incarnation: '4f7c2d1e-inc',
    firstSeq: 40,
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
    expect({ ...decoded, records: [] }).toEqual({ ...original, records: [], rejected: [] });
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
    expect(() => decodeEnvelope(encodeEnvelope({ ...envelope(), seq: 39 }))).toThrow(
      'envelope: seq was 39, expected an integer >= firstSeq 40',
    );
  });

  it('reads format 1 (before incarnations) as the incarnation "" from seq 0', () => {
    const packr = new Packr({ useRecords: false });
    const { gatewayId, seq, windowStartMs, windowEndMs, partition, partitionCount, createdAtMs, records } = envelope(1);
    const body = [
      gatewayId,
      seq,
      windowStartMs,
      windowEndMs,
      partition,
      partitionCount,
      createdAtMs,
      records.map(([k, s]) => [k, metricStateToArray(s)]),
    ];
    const decoded = decodeEnvelope(Buffer.concat([Buffer.from([1, 0]), packr.pack(body)]));
    expect(decoded).toMatchObject({ gatewayId, incarnation: '', firstSeq: 0, seq, rejected: [] });
    expect(decoded.records).toHaveLength(1);
  });

  it('rejects one bad record with the reason and keeps its neighbours', () => {
    const overflowed = MetricState.of([
      [1e200, 1],
      [-1e200, 2],
    ]);
    const e = envelope(3);
    const decoded = decodeEnvelope(encodeEnvelope({ ...e, records: [e.records[0], [['atm-x', 'temperature'], overflowed], e.records[2]] }));
    expect(decoded.records.map(([[device]]) => device)).toEqual(['atm-0', 'atm-2']);
    expect(decoded.rejected).toEqual([
      { index: 1, key: ['atm-x', 'temperature'], reason: expect.stringMatching(/^records\[1\]\.state: metric state: m2 was null/) },
    ]);
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
    for (const bad of ['/a', 'telemetry//m', 'telemetry/a/', 'commands/a/ack', 'events//']) expect(parseDeviceTopic(bad)).toBeUndefined();
    expect(deviceTopics.telemetry('a', 'b')).toBe('telemetry/a/b');
    expect(cloudTopics.partition('gw', 3)).toBe('fogline/v1/gw/partitions/3');
  });
});

/** The parser as first written, by splitting: the oracle for the scanning one. */
function parseBySplitting(topic: string) {
  const levels = topic.split('/');
  const [root, deviceId, metric] = levels;
  if (!deviceId) return undefined;
  if (root === 'telemetry' && levels.length === 2) return { kind: 'telemetry', deviceId };
  if (root === 'telemetry' && levels.length === 3 && metric) return { kind: 'telemetry', deviceId, metric };
  if (root === 'events' && levels.length === 2) return { kind: 'events', deviceId };
  if (root === 'commands' && levels.length === 2) return { kind: 'commands', deviceId };
  return undefined;
}

describe('parseDeviceTopic', () => {
  it('agrees with splitting on any topic made of the contract roots, slashes and names', () => {
    const part = fc.constantFrom('telemetry', 'events', 'commands', 'ack', 'atm-1', 'm', '', 'x/y');
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), (parts) => {
        const topic = parts.join('/');
        expect(parseDeviceTopic(topic)).toEqual(parseBySplitting(topic));
      }),
      { numRuns: 2000 },
    );
  });
});
