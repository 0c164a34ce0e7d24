import type { EventSpec, FailureModeSpec, MetricSpec, Profile } from '../profiles/profile-schema.js';
import type { SeededRandom } from '../random/seeded-random.js';
import type { FieldConditions } from './field-conditions.js';

const dayMs = 86_400_000;
const hourMs = 3_600_000;

/** The daily cycle at a time, from -1 to 1, peaking at peakHour (UTC). */
export function dailyPhase(atMs: number, peakHour: number): number {
  const hourOfDay = (((atMs % dayMs) + dayMs) % dayMs) / hourMs;
  return Math.cos((2 * Math.PI * (hourOfDay - peakHour)) / 24);
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** A field profile's part of one reading: the device's conditions, and the moment's usage, weather and symptoms. */
export interface FieldMoment {
  readonly conditions: FieldConditions;
  /** Transactions in the reading's interval (the usage metric's count). */
  readonly transactions: number;
  readonly transactionsPerHour: number;
  readonly weather: number;
  /** The failure's drift is multiplied by this: 1 in a burst, the quiet level between, 0 for a sudden failure. */
  readonly symptomLevel: number;
  /** The metrics whose drift shows in this failure; undefined: all. */
  readonly showing?: ReadonlySet<string>;
}

/** How a device's metrics and events depend on time, health and chance. */
export class SignalModel {
  private readonly metrics: readonly (readonly [string, MetricSpec])[];
  private readonly events: readonly (readonly [string, EventSpec])[];

  constructor(readonly profile: Profile) {
    this.metrics = Object.entries(profile.metrics);
    this.events = Object.entries(profile.events);
  }

  get metricNames(): string[] {
    return this.metrics.map(([name]) => name);
  }

  /**
   * One reading of every metric at atMs, covering the intervalMs before it (for counts).
   * severity is the degradation from 0 to 1, drift the failure mode's (undefined when healthy).
   */
  sample(
    random: SeededRandom,
    atMs: number,
    intervalMs: number,
    severity: number,
    drift: FailureModeSpec | undefined,
    field?: FieldMoment,
  ): Record<string, number> {
    const values: Record<string, number> = {};
    const usage = field?.conditions.spec.usage;
    for (const [name, metric] of this.metrics) {
      let shift = severity > 0 && drift ? (drift.drift[name] ?? 0) * severity : 0;
      if (field && shift !== 0) shift *= field.showing && !field.showing.has(name) ? 0 : field.symptomLevel;
      let value: number;
      if (usage?.metric === name && field) {
        value = field.transactions * metric.scale;
      } else if (metric.kind === 'count') {
        // A count that follows usage keeps its own rate per transaction, at this hour's transactions.
        const followed = field && usage?.follows.includes(name) ? field.transactionsPerHour / usage.perHour : 1;
        const perHour = Math.max(0, (metric.perHour ?? 0) * followed * (1 + metric.daily * dailyPhase(atMs, metric.peakHour)) + shift);
        value = random.poisson((perHour * intervalMs) / hourMs) * metric.scale;
      } else {
        const noise = metric.noise * (field?.conditions.noiseFactor ?? 1);
        value = (metric.mean ?? 0) + metric.daily * dailyPhase(atMs, metric.peakHour) + noise * random.normal() + shift;
        if (field) {
          value += field.conditions.offset(name);
          value += (usage?.effects[name] ?? 0) * field.transactionsPerHour;
          value += (field.conditions.spec.weather?.effects[name] ?? 0) * field.weather;
        }
      }
      if (metric.min !== undefined) value = Math.max(metric.min, value);
      if (metric.max !== undefined) value = Math.min(metric.max, value);
      values[name] = roundTo(value, metric.decimals);
    }
    return values;
  }

  /** The events that happened in the intervalMs before atMs: type and attributes, in profile order. */
  sampleEvents(random: SeededRandom, atMs: number, intervalMs: number, severity: number, drift: FailureModeSpec | undefined) {
    const happened: { type: string; attrs: Record<string, string | number | boolean> }[] = [];
    for (const [type, event] of this.events) {
      const extra = severity > 0 && drift ? (drift.events[type] ?? 0) * severity : 0;
      const perHour = event.perHour * (1 + event.daily * dailyPhase(atMs, event.peakHour)) + extra;
      const count = random.poisson((perHour * intervalMs) / hourMs);
      for (let i = 0; i < count; i++) happened.push({ type, attrs: event.attrs });
    }
    return happened;
  }
}
