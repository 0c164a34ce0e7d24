import type { EventSpec, FailureModeSpec, MetricSpec, Profile } from '../profiles/profile-schema.js';
import type { SeededRandom } from '../random/seeded-random.js';

const dayMs = 86_400_000;
const hourMs = 3_600_000;

/** The daily cycle at a time, from -1 to 1, peaking at peakHour (UTC). */
function dailyPhase(atMs: number, peakHour: number): number {
  const hourOfDay = (((atMs % dayMs) + dayMs) % dayMs) / hourMs;
  return Math.cos((2 * Math.PI * (hourOfDay - peakHour)) / 24);
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
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
  ): Record<string, number> {
    const values: Record<string, number> = {};
    for (const [name, metric] of this.metrics) {
      const shift = severity > 0 && drift ? (drift.drift[name] ?? 0) * severity : 0;
      let value: number;
      if (metric.kind === 'count') {
        const perHour = Math.max(0, (metric.perHour ?? 0) * (1 + metric.daily * dailyPhase(atMs, metric.peakHour)) + shift);
        value = random.poisson((perHour * intervalMs) / hourMs) * metric.scale;
      } else {
        value = (metric.mean ?? 0) + metric.daily * dailyPhase(atMs, metric.peakHour) + metric.noise * random.normal() + shift;
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
