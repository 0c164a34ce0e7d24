import type { Profile } from '../profiles/profile-schema.js';
import { SeededRandom } from '../random/seeded-random.js';
import type { DeliveryOptions } from './delivery-options.js';
import { type Emission, type MalformedKind, malformedKinds, type Publish } from './emission.js';
import { type CycleBoundary, FailureTimeline } from './failure-timeline.js';
import { FieldConditions, SymptomBursts } from './field-conditions.js';
import { type FieldMoment, SignalModel } from './signal-model.js';

const hourMs = 3_600_000;
const dayMs = 86_400_000;

/** Where a device sits in the fleet and what it is. */
export interface DeviceIdentity {
  readonly index: number;
  /** Its number within its profile, from 1 (atm-0007 is 7); field profiles place devices on sites by it. */
  readonly number?: number;
  readonly id: string;
  readonly profile: Profile;
  readonly labels: Readonly<Record<string, string>>;
}

/** How a telemetry payload is broken, deliberately: none of these yields a valid reading. */
function malform(kind: MalformedKind, payload: string, ts: number, metrics: readonly string[]): string {
  switch (kind) {
    case 'truncated':
      return payload.slice(0, Math.max(1, payload.length >> 1));
    case 'not-json':
      return `ts=${ts};${metrics.map((metric) => `${metric}=?`).join(';')}`;
    case 'non-finite':
      return JSON.stringify({ ts, values: Object.fromEntries(metrics.map((metric) => [metric, 'NaN'])) });
    case 'wrong-shape':
      return JSON.stringify({ ts, values: metrics.map((_, i) => i) });
  }
}

/**
 * One simulated device: its hidden health, its signals, and how its publishes reach the
 * gateway. It produces emissions lazily, in the order it sends them (by simulated send time),
 * from three random streams of its own: health (when it fails), signals (the values) and
 * delivery (jitter, lateness, malformed payloads). Nothing here depends on the wall clock or on
 * other devices, so the same seed gives the same emissions, byte for byte.
 */
export class SimulatedDevice {
  private readonly model: SignalModel;
  private readonly timeline: FailureTimeline | undefined;
  private readonly signals: SeededRandom;
  private readonly delivery: SeededRandom;
  private readonly skewMs: number;
  private readonly telemetryTopic: string;
  private readonly eventsTopic: string;
  /** Generated and not yet taken, by send time, first generated first on a tie. Short: a reading or two, plus late ones. */
  private readonly pending: Emission[] = [];
  private nextSampleMs: number;
  private stepMs: number;
  private readingsTaken = 0;
  private generatedAll = false;
  /** A field profile's conditions, symptom bursts and routine visits; undefined for a classic profile. */
  private readonly field: FieldConditions | undefined;
  private readonly bursts: SymptomBursts | undefined;
  private readonly visits: SeededRandom | undefined;
  private nextVisitMs = Number.POSITIVE_INFINITY;
  /** The hour of the last `health` ground-truth record. */
  private healthHourMs = Number.NaN;

  constructor(
    readonly identity: DeviceIdentity,
    seed: number,
    startMs: number,
    private readonly endMs: number,
    private readonly options: DeliveryOptions,
  ) {
    const { id, profile } = identity;
    this.model = new SignalModel(profile);
    this.signals = new SeededRandom(seed, 'signals', id);
    this.delivery = new SeededRandom(seed, 'delivery', id);
    const fieldSpec = profile.field;
    // A field profile's chances come from streams of their own: a classic device draws exactly what it did.
    const wear = fieldSpec && { field: fieldSpec, random: new SeededRandom(seed, 'wear', id) };
    this.timeline = profile.failure && new FailureTimeline(profile.failure, new SeededRandom(seed, 'health', id), startMs, wear);
    if (fieldSpec) {
      this.field = new FieldConditions(fieldSpec, seed, id, (identity.number ?? identity.index + 1) - 1);
      const { burstOnHours, burstOffHours } = fieldSpec.symptoms;
      this.bursts = new SymptomBursts(burstOnHours, burstOffHours, new SeededRandom(seed, 'bursts', id));
      if (fieldSpec.serviceEveryDays !== undefined) {
        this.visits = new SeededRandom(seed, 'visits', id);
        this.nextVisitMs = startMs + Math.round(this.visits.exponential(fieldSpec.serviceEveryDays * dayMs));
      }
    }
    this.skewMs = Math.round(options.skewMsStddev * this.delivery.normal());
    this.telemetryTopic = `telemetry/${id}`;
    this.eventsTopic = `events/${id}`;
    // Devices do not tick in step: each starts at its own phase within the first interval.
    this.nextSampleMs = startMs + Math.floor(this.delivery.uniform() * options.intervalMs);
    this.stepMs = options.intervalMs;
  }

  get id(): string {
    return this.identity.id;
  }

  /** The simulated time of the next emission; Infinity when the device has nothing more to send. */
  peekMs(): number {
    while (!this.generatedAll && this.nextPointMs() <= (this.pending[0]?.sendAtMs ?? Number.POSITIVE_INFINITY)) this.advance();
    return this.pending[0]?.sendAtMs ?? Number.POSITIVE_INFINITY;
  }

  /** The next emission; call peekMs first. */
  take(): Emission {
    this.peekMs();
    const next = this.pending.shift();
    if (!next) throw new Error(`device ${this.id} has nothing more to send`);
    return next;
  }

  private nextPointMs(): number {
    return Math.min(this.timeline?.nextBoundaryMs ?? Number.POSITIVE_INFINITY, this.nextSampleMs, this.nextVisitMs);
  }

  /** One step of the device's life: a boundary of its failure cycle, or a reading. */
  private advance(): void {
    const atMs = this.nextPointMs();
    const countReached = this.options.readingsPerDeviceMax !== undefined && this.readingsTaken >= this.options.readingsPerDeviceMax;
    if (atMs >= this.endMs || countReached) {
      this.generatedAll = true;
      return;
    }
    if (this.timeline && this.timeline.nextBoundaryMs === atMs) this.crossBoundary(this.timeline.takeBoundary());
    else if (this.nextVisitMs === atMs) this.visit(atMs);
    else this.sample(atMs);
  }

  /**
   * A command from the gateway, at simulated time atMs: `service` (a technician's visit: a
   * degrading or failed part replaced, a new healthy life) and `reboot`, each recorded in the
   * ground truth and sent as an event. What was generated past atMs from the old state is
   * generated again. Returns the device's answer.
   */
  command(name: string, atMs: number): { status: 'ok' | 'failed'; detail: string } {
    if (name !== 'service' && name !== 'reboot') return { status: 'failed', detail: `unknown command ${name}` };
    const outcome = name === 'service' ? (this.timeline?.service(atMs) ?? 'healthy') : 'rebooted';
    const dropped = this.pending.filter((e) => e.sendAtMs > atMs);
    this.pending.splice(0, this.pending.length, ...this.pending.filter((e) => e.sendAtMs <= atMs));
    this.readingsTaken -= dropped.filter((e) => e.kind === 'publish' && e.topic === this.telemetryTopic).length;
    if (dropped.length > 0 || outcome === 'repaired') {
      this.nextSampleMs = atMs + 1;
      this.generatedAll = false;
    }
    const { index, id, profile } = this.identity;
    this.enqueue({
      kind: 'truth',
      sendAtMs: atMs,
      deviceIndex: index,
      record: { event: name, deviceId: id, profile: profile.name, ts: atMs, outcome },
    });
    this.enqueue(this.event(atMs, name, { outcome }));
    return { status: 'ok', detail: outcome };
  }

  /**
   * A technician's routine visit (field profiles): the door opens, a degrading part is replaced
   * (the visit resets its wear), a healthy device is left as it is. In the ground truth as a
   * service with its outcome, and sent as door-open and service events.
   */
  private visit(atMs: number): void {
    const outcome = this.timeline?.service(atMs) ?? 'healthy';
    // A failed device the technician repairs reports again from now, not from its old repair time.
    if (outcome === 'repaired') this.nextSampleMs = atMs + 1;
    const { index, id, profile } = this.identity;
    const record = { event: 'service', deviceId: id, profile: profile.name, ts: atMs, outcome } as const;
    this.enqueue({ kind: 'truth', sendAtMs: atMs, deviceIndex: index, record });
    this.enqueue(this.event(atMs, 'door-open', {}));
    this.enqueue(this.event(atMs, 'service', { outcome, visit: 'routine' }));
    const everyDays = this.field?.spec.serviceEveryDays ?? Number.POSITIVE_INFINITY;
    this.nextVisitMs = atMs + Math.max(1, Math.round((this.visits as SeededRandom).exponential(everyDays * dayMs)));
  }

  private crossBoundary({ atMs, kind, cycle }: CycleBoundary): void {
    const { index, id, profile } = this.identity;
    const sudden = profile.field ? { sudden: cycle.sudden } : {};
    const record =
      kind === 'degradation-onset'
        ? { event: kind, deviceId: id, profile: profile.name, ts: atMs, mode: cycle.mode, failAtMs: cycle.failMs, ...sudden }
        : { event: kind, deviceId: id, profile: profile.name, ts: atMs, mode: cycle.mode, ...sudden };
    this.enqueue({ kind: 'truth', sendAtMs: atMs, deviceIndex: index, record });
    if (kind === 'degradation-onset') return; // hidden: only the signals tell
    const event = kind === 'failure' ? { type: 'failure', mode: cycle.mode } : { type: 'repair', mode: cycle.mode };
    this.enqueue(this.event(atMs, event.type, { mode: event.mode }));
  }

  private sample(atMs: number): void {
    const state = this.timeline?.stateAt(atMs);
    if (state?.down) {
      // Out of service until the repair; it comes back at its own phase.
      this.nextSampleMs = state.cycle.repairedMs + Math.floor(this.delivery.uniform() * this.options.intervalMs);
      this.stepMs = this.options.intervalMs;
      return;
    }
    const severity = state?.severity ?? 0;
    const drift = severity > 0 ? state?.cycle.drift : undefined;
    if (state && severity > 0) this.recordHealth(atMs, state.cycle.sudden ? 0 : severity, state.cycle.mode);
    const values = this.model.sample(this.signals, atMs, this.stepMs, severity, drift, this.fieldMoment(atMs, state));
    // A sudden failure gives no warning: not in the signals, not in the events.
    const happened = this.model.sampleEvents(this.signals, atMs, this.stepMs, severity, state?.cycle.sudden ? undefined : drift);
    this.readingsTaken++;
    this.enqueue(this.telemetry(atMs, values));
    for (const { type, attrs } of happened) this.enqueue(this.event(atMs, type, attrs));
    const { intervalMs, jitterRatio } = this.options;
    this.stepMs = Math.max(1, Math.round(intervalMs * (1 + jitterRatio * (2 * this.delivery.uniform() - 1))));
    this.nextSampleMs = atMs + this.stepMs;
  }

  /**
   * The hidden wear, once an hour while it grows: the ground truth an oracle reads. A sudden
   * failure's is 0: nothing about the device shows it coming.
   */
  private recordHealth(atMs: number, severity: number, mode: string): void {
    const hour = Math.floor(atMs / hourMs) * hourMs;
    if (hour === this.healthHourMs) return;
    this.healthHourMs = hour;
    const { index, id, profile } = this.identity;
    const record = {
      event: 'health',
      deviceId: id,
      profile: profile.name,
      ts: atMs,
      mode,
      severity: Math.round(severity * 1e4) / 1e4,
    } as const;
    this.enqueue({ kind: 'truth', sendAtMs: atMs, deviceIndex: index, record });
  }

  /** A field profile's usage, weather and symptoms at atMs; undefined for a classic profile. */
  private fieldMoment(atMs: number, state: ReturnType<FailureTimeline['stateAt']> | undefined): FieldMoment | undefined {
    if (!this.field) return undefined;
    const expected = this.field.usagePerHour(atMs);
    const transactions = this.field.spec.usage ? this.signals.poisson((expected * this.stepMs) / hourMs) : 0;
    const cycle = state?.cycle;
    let symptomLevel = 1;
    if (cycle && state.severity > 0) {
      const showing = (this.bursts as SymptomBursts).showingAt(atMs, atMs - cycle.onsetMs);
      symptomLevel = cycle.sudden ? 0 : showing ? 1 : this.field.spec.symptoms.quietLevel;
    }
    return {
      conditions: this.field,
      transactions,
      transactionsPerHour: (transactions * hourMs) / this.stepMs,
      weather: this.field.weather(atMs),
      symptomLevel,
      showing: cycle?.showing,
    };
  }

  private telemetry(atMs: number, values: Record<string, number>): Publish {
    const ts = atMs + this.skewMs;
    const payload = JSON.stringify({ ts, values });
    const { malformedRatio, outOfOrderRatio, lateRatio, lateByMs, intervalMs } = this.options;
    const malformed = this.delivery.chance(malformedRatio) ? malformedKinds[this.delivery.below(malformedKinds.length)] : undefined;
    let sendAtMs = atMs;
    if (this.delivery.chance(lateRatio)) sendAtMs += lateByMs;
    else if (this.delivery.chance(outOfOrderRatio)) sendAtMs += Math.round(intervalMs * 1.5);
    const base = { kind: 'publish', sendAtMs, deviceIndex: this.identity.index, topic: this.telemetryTopic } as const;
    if (malformed) return { ...base, payload: malform(malformed, payload, ts, Object.keys(values)), malformed };
    return { ...base, payload, readings: values };
  }

  private event(atMs: number, type: string, attrs: Readonly<Record<string, string | number | boolean>>): Publish {
    const payload = JSON.stringify({ ...attrs, ts: atMs + this.skewMs, type });
    return {
      kind: 'publish',
      sendAtMs: atMs,
      deviceIndex: this.identity.index,
      topic: this.eventsTopic,
      payload,
      readings: { [`event.${type}`]: 1 },
    };
  }

  private enqueue(emission: Emission): void {
    // Almost always in order: insertion from the back is a comparison or two.
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1].sendAtMs > emission.sendAtMs) i--;
    this.pending.splice(i, 0, emission);
  }
}
