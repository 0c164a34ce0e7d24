import type { FailureModeSpec, FailureSpec } from '../profiles/profile-schema.js';
import type { SeededRandom } from '../random/seeded-random.js';

const hourMs = 3_600_000;

/** One life of a device between repairs: healthy until onsetMs, degrading until failMs, down until repairedMs. */
export interface FailureCycle {
  readonly onsetMs: number;
  readonly failMs: number;
  readonly repairedMs: number;
  readonly mode: string;
  readonly drift: FailureModeSpec;
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
    return { onsetMs, failMs, repairedMs, mode, drift: this.spec.modes[mode] };
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
   * (1 - health)^shape from 0 (healthy) to 1 (failing), and whether it is down.
   */
  stateAt(atMs: number): { readonly severity: number; readonly down: boolean; readonly cycle: FailureCycle } {
    const { onsetMs, failMs, repairedMs } = this.cycle;
    if (atMs >= failMs && atMs < repairedMs) return { severity: 1, down: true, cycle: this.cycle };
    if (atMs < onsetMs || atMs >= repairedMs) return { severity: 0, down: false, cycle: this.cycle };
    return { severity: ((atMs - onsetMs) / (failMs - onsetMs)) ** this.spec.shape, down: false, cycle: this.cycle };
  }
}
