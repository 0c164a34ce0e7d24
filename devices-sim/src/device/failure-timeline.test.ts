import { describe, expect, it } from 'vitest';
import { failureSchema, fieldSchema } from '../profiles/profile-schema.js';
import { SeededRandom } from '../random/seeded-random.js';
import { FailureTimeline } from './failure-timeline.js';

const failure = failureSchema.parse({ mtbfDays: 10, shape: 1, modes: { worn: { drift: { heat: 5, noise: 1 } } } });

/** The first `count` cycles of a field timeline, each with its state a minute before it fails. */
function cycles(field: Record<string, unknown>, count: number) {
  const timeline = new FailureTimeline(failure, new SeededRandom(1, 'health'), 0, {
    field: fieldSchema.parse(field),
    random: new SeededRandom(1, 'wear'),
  });
  const seen = [];
  while (seen.length < count) {
    const boundary = timeline.takeBoundary();
    if (boundary.kind !== 'degradation-onset') continue;
    seen.push({ cycle: boundary.cycle, beforeFailure: timeline.stateAt(boundary.cycle.failMs - 60_000) });
  }
  return seen;
}

describe('a field profile’s wear', () => {
  it('grows in the configured number of jumps, least to most, and reaches failure', () => {
    const seen = cycles({ wearJumps: [1, 4], smoothShare: 0.4 }, 400);
    expect(new Set(seen.map((s) => s.cycle.jumps.length))).toEqual(new Set([1, 2, 3, 4]));
    for (const { beforeFailure } of seen) expect(beforeFailure.severity).toBeGreaterThan(0.99);
  });

  it('grows steadily all the way when no jump is drawn, whatever the steady share', () => {
    for (const { beforeFailure } of cycles({ wearJumps: [0, 0], smoothShare: 0.4 }, 50))
      expect(beforeFailure.severity).toBeGreaterThan(0.99);
  });

  it('shows at least one drifting metric in every failure, and marks about the configured share sudden', () => {
    const seen = cycles({ symptoms: { showProbability: 0.2 }, suddenShare: 0.3 }, 400);
    for (const { cycle } of seen) expect(cycle.showing?.size).toBeGreaterThan(0);
    const sudden = seen.filter((s) => s.cycle.sudden).length / seen.length;
    expect(sudden).toBeGreaterThan(0.22);
    expect(sudden).toBeLessThan(0.38);
  });
});
