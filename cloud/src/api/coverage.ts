import type { Resolution } from '../store/cloud-store.js';

/** How long each resolution is kept (the config's retention). */
export interface RetentionDays {
  readonly windowsDays: number;
  readonly hoursDays: number;
  readonly daysDays: number;
}

export const retentionDefaults: RetentionDays = { windowsDays: 7, hoursDays: 90, daysDays: 3650 };

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** A range longer than this reads hour rollups rather than windows. */
export const windowsRangeMsMax = 6 * hourMs;
/** A range longer than this reads day rollups rather than hours. */
export const hoursRangeMsMax = 31 * dayMs;

const keptMs = (resolution: Resolution, retention: RetentionDays) =>
  ({ window: retention.windowsDays, hour: retention.hoursDays, day: retention.daysDays })[resolution] * dayMs;

/** What a query over a range reads, and what it really covers: said in the answer, never silently less. */
export interface Coverage {
  readonly resolution: Resolution;
  /** The range read: widened to whole hours or days for those rollups. */
  readonly fromMs: number;
  readonly toMs: number;
  /** The oldest time the resolution still holds (its retention); a range starting earlier is cut here. */
  readonly retainedFromMs: number;
  /** True when the range starts before retainedFromMs: the answer covers less than was asked. */
  readonly partial: boolean;
}

/**
 * The resolution a fleet query over [fromMs, toMs) reads: windows for a few hours, hours up to
 * a month, days beyond, and in any case the finest resolution still kept at fromMs, so a
 * "30 days" range is not silently answered by 7 days of windows.
 */
export function fleetCoverage(fromMs: number, toMs: number, nowMs: number, retention: RetentionDays): Coverage {
  const spanMs = Math.min(toMs, nowMs) - fromMs;
  const candidates: Resolution[] =
    spanMs <= windowsRangeMsMax ? ['window', 'hour', 'day'] : spanMs <= hoursRangeMsMax ? ['hour', 'day'] : ['day'];
  const resolution = candidates.find((r) => fromMs >= nowMs - keptMs(r, retention)) ?? candidates[candidates.length - 1];
  return coverageAt(resolution, fromMs, toMs, nowMs, retention);
}

/** The coverage of a query at a resolution the caller chose (a series' step). */
export function coverageAt(resolution: Resolution, fromMs: number, toMs: number, nowMs: number, retention: RetentionDays): Coverage {
  const unitMs = resolution === 'hour' ? hourMs : resolution === 'day' ? dayMs : 1;
  const retainedFromMs = Math.max(0, nowMs - keptMs(resolution, retention));
  return {
    resolution,
    fromMs: Math.floor(fromMs / unitMs) * unitMs,
    toMs: toMs >= Number.MAX_SAFE_INTEGER - unitMs ? toMs : Math.ceil(toMs / unitMs) * unitMs,
    retainedFromMs,
    partial: fromMs < retainedFromMs,
  };
}
