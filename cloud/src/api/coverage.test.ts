import { describe, expect, it } from 'vitest';
import { coverageAt, fleetCoverage, retentionDefaults } from './coverage.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const nowMs = Date.UTC(2026, 11, 2, 18, 30);

describe('what a fleet query over a range reads', () => {
  it('windows for an hour, hours for a week, days for a year', () => {
    expect(fleetCoverage(nowMs - hourMs, nowMs, nowMs, retentionDefaults).resolution).toBe('window');
    expect(fleetCoverage(nowMs - 7 * dayMs, nowMs, nowMs, retentionDefaults).resolution).toBe('hour');
    expect(fleetCoverage(nowMs - 365 * dayMs, nowMs, nowMs, retentionDefaults).resolution).toBe('day');
    expect(fleetCoverage(0, Number.MAX_SAFE_INTEGER, nowMs, retentionDefaults).resolution).toBe('day');
  });

  it('moves to a coarser resolution when the finer one is no longer kept at the start of the range', () => {
    // Six hours, ten days ago: the windows are gone after 7 days, the hours are kept.
    const tenDaysAgo = nowMs - 10 * dayMs;
    expect(fleetCoverage(tenDaysAgo, tenDaysAgo + 6 * hourMs, nowMs, retentionDefaults)).toMatchObject({
      resolution: 'hour',
      partial: false,
    });
    // A month, with hours kept only 20 days: days.
    expect(fleetCoverage(nowMs - 30 * dayMs, nowMs, nowMs, { ...retentionDefaults, hoursDays: 20 }).resolution).toBe('day');
  });

  it('widens rollup ranges to whole hours and days, and says when the range starts before what is kept', () => {
    const coverage = fleetCoverage(nowMs - 7 * dayMs, nowMs, nowMs, retentionDefaults);
    expect(coverage.fromMs % hourMs).toBe(0);
    expect(coverage.toMs).toBe(Date.UTC(2026, 11, 2, 19));
    const old = coverageAt('hour', nowMs - 200 * dayMs, nowMs, nowMs, retentionDefaults);
    expect(old).toMatchObject({ partial: true, retainedFromMs: nowMs - 90 * dayMs });
    expect(coverageAt('day', 0, Number.MAX_SAFE_INTEGER, nowMs, retentionDefaults).toMs).toBe(Number.MAX_SAFE_INTEGER);
  });
});
