import { describe, expect, it } from 'vitest';
import { decodePayload } from './decode-payload.js';

const limits = { readingsPerMessageMax: 100, futureSkewMsMax: 60_000, valueAbsMax: 1e100 };
const now = 1_732_400_000_000;
const decode = (topic: string, payload: unknown) =>
  decodePayload(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), now, limits);

describe('decodePayload', () => {
  it('reads flat telemetry with the arrival time as event time', () => {
    expect(decode('telemetry/atm-1', { temperature: 21.5, vibration: 0.02 })).toEqual({
      readings: [
        { deviceId: 'atm-1', metric: 'temperature', ts: now, value: 21.5, arrival: true },
        { deviceId: 'atm-1', metric: 'vibration', ts: now, value: 0.02, arrival: true },
      ],
      problems: [],
    });
  });

  it('reads {ts, values}, batches, and per-metric topics', () => {
    expect(decode('telemetry/m', { ts: now - 5, values: { a: 1 } }).readings).toEqual([
      { deviceId: 'm', metric: 'a', ts: now - 5, value: 1 },
    ]);
    expect(
      decode('telemetry/m', [
        { ts: now - 2, values: { a: 1 } },
        { b: 2, ts: now - 1 },
      ]).readings.map((r) => r.metric),
    ).toEqual(['a', 'b']);
    expect(decode('telemetry/m/rpm', '1500').readings).toEqual([{ deviceId: 'm', metric: 'rpm', ts: now, value: 1500, arrival: true }]);
    expect(decode('telemetry/m/rpm', { ts: now - 9, value: 3 }).readings[0]).toMatchObject({ ts: now - 9, value: 3 });
  });

  it('counts events as readings of event.<type>', () => {
    expect(decode('events/atm-1', { type: 'card_reader_error', code: 'E42', ts: now - 1 }).readings).toEqual([
      { deviceId: 'atm-1', metric: 'event.card_reader_error', ts: now - 1, value: 1 },
    ]);
  });

  it('keeps the valid readings of a payload and names each bad part', () => {
    const decoded = decode('telemetry/atm-1', [{ temperature: 21.5, humidity: 'high' }, 7, { values: { ok: 1, 'bad/name': 2 } }]);
    expect(decoded.readings.map((r) => r.metric)).toEqual(['temperature', 'ok']);
    expect(decoded.problems).toEqual([
      '[0].humidity was "high", expected a finite number',
      '[1] was 7, expected an object of readings',
      '[2].values: metric name "bad/name" is not 1-64 letters, digits, _ . : -',
    ]);
  });

  it('refuses bad JSON, non-finite numbers, bad timestamps, far-future timestamps and unknown topics', () => {
    expect(decode('telemetry/a', '{"t": 1').problems[0]).toMatch(/^payload is not valid JSON/);
    expect(decode('telemetry/a', '{"t": 1e999}').problems).toEqual(['payload.t was null, expected a finite number']);
    expect(decode('telemetry/a', { ts: 'yesterday', values: { a: 1 } }).problems).toEqual([
      'payload.values.ts was "yesterday", expected epoch milliseconds',
    ]);
    expect(decode('telemetry/a', { ts: now + 120_000, t: 1 }).problems[0]).toContain("more than 60000 ms ahead of the gateway's clock");
    expect(decode('telemetry/a/b/c', '1').problems[0]).toContain('is not telemetry/{id}');
    expect(decode('telemetry/a', {}).problems).toEqual(['payload holds no readings']);
    expect(decode('telemetry/a/t', '"21"').problems).toEqual(['payload was "21", expected a number or {"ts": ..., "value": ...}']);
  });

  it('caps the readings of one message', () => {
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`m${i}`, i]));
    const decoded = decode('telemetry/a', many);
    expect(decoded.readings).toHaveLength(100);
    expect(decoded.problems).toHaveLength(50);
  });
});
