import type { FailureModeSpec, FailureSpec, FieldSpec } from '../profiles/profile-schema.js';
import type { SeededRandom } from '../random/seeded-random.js';

const hourMs = 3_600_000;

/** One life of a device between repairs: healthy until onsetMs, degrading until failMs, down until repairedMs. */
export interface FailureCycle {
  readonly onsetMs: number;
  readonly failMs: number;
  readonly repairedMs: number;
  readonly mode: string;
  readonly drift: FailureModeSpec;
  /** A failure with no warning: its signals do not drift before it (field profiles only). */
  readonly sudden: boolean;
  /** The metrics whose drift shows in this failure; undefined: all of the mode's. */
  readonly showing?: ReadonlySet<string>;
  /** Wear jumps: times and the share of the whole wear each adds (field profiles only). */
  readonly jumps: readonly (readonly [number, number])[];
}

/** How a field profile's wear grows and shows, and the stream its chances come from. */
export interface WearOptions {
  readonly field: FieldSpec;
  readonly random: SeededRandom;
}

/** A moment in the cycle where something happens: degradation starts (hidden), a failure, a repair. */
export interface CycleBoundary {
  readonly atMs: number;
  readonly kind: 'degradation-onset' | 'failure' | 'repair';
  readonly cycle: FailureCycle;
}

/**
 * A device's failures, drawn lazily from its own health stream. Cycles start a few MTBFs
 * before the run, so at the start the fleet is already a mix of healthy, degrading and
 * down devices and the failure rate holds from the first hour, not after a warm-up.
 */
export class FailureTimeline {
  private cycle: FailureCycle;
  private boundaryIndex = 0;
  private readonly healthyMeanMs: number;
  private readonly modes: readonly (readonly [string, number])[];

  constructor(
    private readonly spec: FailureSpec,
    private readonly random: SeededRandom,
    startMs: number,
    private readonly wear?: WearOptions,
  ) {
    const meanDegradationHours = (spec.degradationHours[0] + spec.degradationHours[1]) / 2;
    const meanRepairHours = (spec.repairHours[0] + spec.repairHours[1]) / 2;
    this.healthyMeanMs = (spec.mtbfDays * 24 - meanDegradationHours - meanRepairHours) * hourMs;
    this.modes = Object.entries(spec.modes).map(([name, mode]) => [name, mode.weight] as const);
    const burnInMs = 4 * spec.mtbfDays * 24 * hourMs;
    this.cycle = this.draw(startMs - burnInMs);
    while (this.cycle.repairedMs <= startMs) this.cycle = this.draw(this.cycle.repairedMs);
    // Boundaries before the start happened before the run began: not part of its ground truth.
    while (this.boundaryIndex < 3 && this.boundaryAt(this.boundaryIndex) < startMs) this.boundaryIndex++;
  }

  private draw(fromMs: number): FailureCycle {
    const onsetMs = fromMs + Math.round(this.random.exponential(this.healthyMeanMs));
    const failMs = onsetMs + Math.round(this.random.between(...this.spec.degradationHours) * hourMs);
    const repairedMs = failMs + Math.round(this.random.between(...this.spec.repairHours) * hourMs);
    const mode = this.random.weighted(this.modes);
    const cycle = { onsetMs, failMs, repairedMs, mode, drift: this.spec.modes[mode], sudden: false, jumps: [] };
    return this.wear ? this.shapeWear(cycle, this.wear) : cycle;
  }

  /**
   * A field profile's cycle: sudden or not, which symptoms show, and the jumps its wear grows
   * by, from a stream of its own (so the classic profile's failures stay where they were).
   */
  private shapeWear(cycle: FailureCycle, { field, random }: WearOptions): FailureCycle {
    const sudden = random.chance(field.suddenShare);
    const drifting = Object.keys(cycle.drift.drift);
    const showing = new Set(drifting.filter(() => random.chance(field.symptoms.showProbability)));
    if (showing.size === 0 && drifting.length > 0) showing.add(drifting[random.below(drifting.length)]);
    const count = Math.floor(random.between(field.wearJumps[0], field.wearJumps[1] + 1)); // least to most, evenly
    const sizes = Array.from({ length: count }, () => random.exponential(1));
    const total = sizes.reduce((a, b) => a + b, 0);
    const span = cycle.failMs - cycle.onsetMs;
    const jumps = sizes
      .map((size) => [cycle.onsetMs + Math.round(random.uniform() * span), ((1 - field.smoothShare) * size) / total] as const)
      .sort((a, b) => a[0] - b[0]);
    return { ...cycle, sudden, showing, jumps };
  }

  /** How far wear has gone at atMs within the cycle's degradation, from 0 to 1. */
  private progress(cycle: FailureCycle, atMs: number): number {
    const steady = (atMs - cycle.onsetMs) / (cycle.failMs - cycle.onsetMs);
    // Without jumps (none drawn, or a classic profile) wear grows steadily all the way.
    if (!this.wear || cycle.jumps.length === 0) return steady;
    let jumped = 0;
    for (const [at, share] of cycle.jumps) if (at <= atMs) jumped += share;
    return this.wear.field.smoothShare * steady + jumped;
  }

  private boundaryAt(index: number): number {
    return index === 0 ? this.cycle.onsetMs : index === 1 ? this.cycle.failMs : this.cycle.repairedMs;
  }

  /** The time of the next boundary not yet taken. */
  get nextBoundaryMs(): number {
    return this.boundaryAt(this.boundaryIndex);
  }

  /** Takes the next boundary; after a repair the next cycle begins. */
  takeBoundary(): CycleBoundary {
    const kinds = ['degradation-onset', 'failure', 'repair'] as const;
    const boundary = { atMs: this.nextBoundaryMs, kind: kinds[this.boundaryIndex], cycle: this.cycle };
    this.boundaryIndex++;
    if (this.boundaryIndex === 3) {
      this.cycle = this.draw(this.cycle.repairedMs);
      this.boundaryIndex = 0;
    }
    return boundary;
  }

  /**
   * A technician's visit at atMs: a degrading part is replaced before it fails (restored), a
   * failed one repaired now (repaired); either way a new healthy life starts. A healthy device
   * is left as it is.
   */
  service(atMs: number): 'restored' | 'repaired' | 'healthy' {
    const { severity, down } = this.stateAt(atMs);
    if (!down && severity === 0) return 'healthy';
    this.cycle = this.draw(atMs);
    this.boundaryIndex = 0;
    return down ? 'repaired' : 'restored';
  }

  /**
   * At a time not before the last boundary taken: how far the device has degraded, as
   * (1 - health)^shape from 0 (healthy) to 1 (failing), and whether it is down. A sudden
   * failure's wear is hidden too, but its signals do not show it (see SimulatedDevice).
   */
  stateAt(atMs: number): { readonly severity: number; readonly down: boolean; readonly cycle: FailureCycle } {
    const { onsetMs, failMs, repairedMs } = this.cycle;
    if (atMs >= failMs && atMs < repairedMs) return { severity: 1, down: true, cycle: this.cycle };
    if (atMs < onsetMs || atMs >= repairedMs) return { severity: 0, down: false, cycle: this.cycle };
    return { severity: Math.min(1, this.progress(this.cycle, atMs)) ** this.spec.shape, down: false, cycle: this.cycle };
  }
}
