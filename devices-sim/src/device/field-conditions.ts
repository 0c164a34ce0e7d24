import type { FieldSpec } from '../profiles/profile-schema.js';
import { SeededRandom } from '../random/seeded-random.js';
import { dailyPhase } from './signal-model.js';

const hourMs = 3_600_000;

/** Saturday or Sunday, in UTC. */
function isWeekend(atMs: number): boolean {
  const day = new Date(atMs).getUTCDay();
  return day === 0 || day === 6;
}

/** A standard normal fixed by the seed and keys: the same site and knot give the same value on every device. */
function fixedNormal(seed: number, ...keys: (number | string)[]): number {
  return new SeededRandom(seed, ...keys).normal();
}

/**
 * What a field profile adds around one device's signals: its site, its lifelong offsets and
 * noise, how busy it is, and its site's weather. Everything is fixed by the run's seed, the
 * device's id and its site, so a site's devices share one weather and the same seed gives the
 * same fleet.
 */
export class FieldConditions {
  readonly siteIndex: number;
  /** Per gauge: the device's offset plus its site's. */
  private readonly offsets = new Map<string, number>();
  /** The device's noise as a multiple of the profile's. */
  readonly noiseFactor: number;
  /** The device's busyness: a multiple of the profile's usage rate. */
  private readonly busyness: number;
  private readonly knotMs: number;
  private knot = Number.NaN;
  private knotValues: [number, number] = [0, 0];

  constructor(
    readonly spec: FieldSpec,
    private readonly seed: number,
    deviceId: string,
    /** The device's number within its profile (0-based): devices go round the sites in turn. */
    deviceNumber: number,
  ) {
    this.siteIndex = deviceNumber % spec.sites;
    const own = new SeededRandom(seed, 'field', deviceId);
    for (const [metric, spread] of Object.entries(spec.deviceSpread)) this.offsets.set(metric, spread * own.normal());
    for (const [metric, spread] of Object.entries(spec.siteSpread))
      this.offsets.set(metric, (this.offsets.get(metric) ?? 0) + spread * fixedNormal(seed, 'site', this.siteIndex, metric));
    this.noiseFactor = Math.exp(spec.noiseSpread * own.normal());
    this.busyness = spec.usage ? Math.exp(spec.usage.deviceSpread * own.normal()) : 1;
    this.knotMs = (spec.weather?.correlationHours ?? 1) * hourMs;
  }

  offset(metric: string): number {
    return this.offsets.get(metric) ?? 0;
  }

  /** The device's expected transactions per hour at atMs; 0 without usage. */
  usagePerHour(atMs: number): number {
    const usage = this.spec.usage;
    if (!usage) return 0;
    const weekend = isWeekend(atMs) ? usage.weekendFactor : 1;
    return usage.perHour * this.busyness * weekend * Math.max(0, 1 + usage.daily * dailyPhase(atMs, usage.peakHour));
  }

  /**
   * The site's weather at atMs, in degrees from its usual: value noise (a normal at every knot,
   * eased between them) plus the daily cycle.
   */
  weather(atMs: number): number {
    const weather = this.spec.weather;
    if (!weather) return 0;
    const knot = Math.floor(atMs / this.knotMs);
    if (knot !== this.knot) {
      this.knot = knot;
      this.knotValues = [
        fixedNormal(this.seed, 'weather', this.siteIndex, knot),
        fixedNormal(this.seed, 'weather', this.siteIndex, knot + 1),
      ];
    }
    const t = (atMs - knot * this.knotMs) / this.knotMs;
    const eased = t * t * (3 - 2 * t);
    const slow = this.knotValues[0] + (this.knotValues[1] - this.knotValues[0]) * eased;
    return weather.sd * slow + weather.daily * dailyPhase(atMs, weather.peakHour);
  }
}

/**
 * Whether a failure's symptoms are showing: a two-state process, on for about onHours, quiet
 * for about offHours, switching at random (exponential spells). Always on when either is 0.
 */
export class SymptomBursts {
  private on = true;
  private lastMs = Number.NaN;

  constructor(
    private readonly onHours: number,
    private readonly offHours: number,
    private readonly random: SeededRandom,
  ) {}

  /** On at atMs? Steps the process from the last call; a new degradation starts it afresh. */
  showingAt(atMs: number, sinceOnsetMs: number): boolean {
    if (this.onHours === 0 || this.offHours === 0) return true;
    if (Number.isNaN(this.lastMs) || sinceOnsetMs < atMs - this.lastMs)
      this.on = this.random.chance(this.onHours / (this.onHours + this.offHours));
    else {
      const meanHours = this.on ? this.onHours : this.offHours;
      if (this.random.chance(1 - Math.exp(-(atMs - this.lastMs) / (meanHours * hourMs)))) this.on = !this.on;
    }
    this.lastMs = atMs;
    return this.on;
  }
}
