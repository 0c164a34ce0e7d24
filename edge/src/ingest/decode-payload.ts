import type { DeviceTopic, Reading } from '@fogline/shared';
import { parseDeviceTopic } from '@fogline/shared';

/** What a publish decodes to: the valid readings, and a reason for each part that was not. */
export interface Decoded {
  readonly readings: Reading[];
  readonly problems: string[];
}

export interface DecodeLimits {
  readonly readingsPerMessageMax: number;
  /** Readings more than this ahead of the gateway's clock are refused; 0: no check. */
  readonly futureSkewMsMax: number;
  /** Values further from zero are refused: within it, every aggregate stays finite. */
  readonly valueAbsMax: number;
}

/** An event is counted as a reading of metric `event.<type>`, value 1. */
export const eventMetricPrefix = 'event.';

/** Metric names travel in topics and keys: a conservative alphabet keeps both unambiguous. */
export const metricNamePattern = /^[A-Za-z0-9_.:-]{1,64}$/;

export const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** Collects a publish's readings, each checked on its own: a bad one is a problem, its neighbours still count. */
export class ReadingCollector {
  readonly readings: Reading[] = [];
  readonly problems: string[] = [];

  constructor(
    private readonly deviceId: string,
    readonly receivedAtMs: number,
    private readonly limits: DecodeLimits,
  ) {}

  /** Checks one reading's parts; a bad one becomes a problem, its neighbours still count. */
  add(where: string, metric: string, value: unknown, ts: unknown, deviceId = this.deviceId): void {
    if (!metricNamePattern.test(metric)) {
      this.problems.push(`${where}: metric name ${show(metric)} is not 1-64 letters, digits, _ . : -`);
      return;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.problems.push(`${where}.${metric} was ${show(value)}, expected a finite number`);
      return;
    }
    if (Math.abs(value) > this.limits.valueAbsMax) {
      this.problems.push(`${where}.${metric} was ${value}, expected a number within ±limits.valueAbsMax ${this.limits.valueAbsMax}`);
      return;
    }
    const eventTs = ts === undefined ? this.receivedAtMs : ts;
    if (typeof eventTs !== 'number' || !Number.isFinite(eventTs) || eventTs < 0) {
      this.problems.push(`${where}.ts was ${show(ts)}, expected epoch milliseconds`);
      return;
    }
    if (this.limits.futureSkewMsMax > 0 && eventTs > this.receivedAtMs + this.limits.futureSkewMsMax) {
      this.problems.push(`${where}.ts was ${eventTs}, more than ${this.limits.futureSkewMsMax} ms ahead of the gateway's clock`);
      return;
    }
    if (this.readings.length >= this.limits.readingsPerMessageMax) {
      this.problems.push(`${where}.${metric}: over readingsPerMessageMax ${this.limits.readingsPerMessageMax}`);
      return;
    }
    const reading: Reading = { deviceId, metric, ts: Math.round(eventTs), value };
    this.readings.push(ts === undefined ? { ...reading, arrival: true } : reading);
  }

  /** One telemetry object: {ts?, values: {...}} or flat {metric: value, ..., ts?}. */
  addObject(where: string, object: unknown): void {
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      this.problems.push(`${where} was ${show(object)}, expected an object of readings`);
      return;
    }
    const record = object as Record<string, unknown>;
    const { ts } = record;
    if ('values' in record) {
      const values = record.values;
      if (typeof values !== 'object' || values === null || Array.isArray(values)) {
        this.problems.push(`${where}.values was ${show(values)}, expected an object of metric: number`);
        return;
      }
      for (const [metric, value] of Object.entries(values)) this.add(`${where}.values`, metric, value, ts);
      return;
    }
    const before = this.readings.length + this.problems.length;
    for (const [metric, value] of Object.entries(record)) if (metric !== 'ts') this.add(where, metric, value, ts);
    if (this.readings.length + this.problems.length === before) this.problems.push(`${where} holds no readings`);
  }
}

export function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch (error) {
    return { ok: false, reason: `payload is not valid JSON (${(error as Error).message})` };
  }
}

/**
 * Decodes one publish per the device contract (the README's "The device contract"):
 *  - telemetry/{id}: {"temperature": 21.5} (arrival time is the event time), or
 *    {"ts": 1732400000000, "values": {...}}, or an array of such objects;
 *  - telemetry/{id}/{metric}: a bare number, or {"ts": ..., "value": ...};
 *  - events/{id}: {"type": "error", "ts": ..., ...}: counted as a reading of metric
 *    `event.<type>` with value 1, so the window's count is the number of such events.
 * The caller has already checked that {id} is the publishing device.
 */
export function decodePayload(
  topic: string,
  payload: Buffer,
  receivedAtMs: number,
  limits: DecodeLimits,
  parsed: DeviceTopic | undefined = parseDeviceTopic(topic),
): Decoded {
  if (!parsed || parsed.kind === 'commands') {
    return { readings: [], problems: [`topic ${show(topic)} is not telemetry/{id}, telemetry/{id}/{metric} or events/{id}`] };
  }
  const collector = new ReadingCollector(parsed.deviceId, receivedAtMs, limits);
  const json = parseJson(payload);
  if (!json.ok) return { readings: [], problems: [json.reason] };
  const body = json.value;

  if (parsed.kind === 'events') {
    const event = body as Record<string, unknown> | null;
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      collector.problems.push(`event was ${show(body)}, expected an object with a type`);
    } else if (typeof event.type !== 'string' || !metricNamePattern.test(`${eventMetricPrefix}${event.type}`)) {
      collector.problems.push(`event.type was ${show(event.type)}, expected a short name of letters, digits, _ . : -`);
    } else {
      collector.add('event', `${eventMetricPrefix}${event.type}`, 1, event.ts);
    }
  } else if (parsed.metric !== undefined) {
    if (typeof body === 'number') collector.add('payload', parsed.metric, body, undefined);
    else if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      collector.add('payload', parsed.metric, (body as Record<string, unknown>).value, (body as Record<string, unknown>).ts);
    } else collector.problems.push(`payload was ${show(body)}, expected a number or {"ts": ..., "value": ...}`);
  } else if (Array.isArray(body)) {
    if (body.length === 0) collector.problems.push('payload is an empty batch');
    for (const [i, object] of body.entries()) collector.addObject(`[${i}]`, object);
  } else {
    collector.addObject('payload', body);
  }
  return { readings: collector.readings, problems: collector.problems };
}
