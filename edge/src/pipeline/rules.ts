import type { Reading } from '@fogline/shared';
import type { GatewayRule } from '../config/gateway-config.js';

export interface Alert {
  /** Deterministic, so a replayed reading cannot raise the same alert twice in the cloud. */
  readonly id: string;
  readonly gatewayId: string;
  readonly rule: string;
  /** The rule's kind, or 'job' for an alert a job raised. */
  readonly kind: GatewayRule['kind'] | 'job';
  readonly severity: 'info' | 'warning' | 'critical';
  readonly deviceId: string;
  readonly metric: string;
  readonly ts: number;
  readonly value: number | null;
  readonly message: string;
}

/** Per-(rule, device, metric) state kept at most; past it the oldest is forgotten (counted). */
export const ruleStatesMax = 1_000_000;

function metricMatcher(pattern: string): (metric: string) => boolean {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*')) return (metric) => metric === pattern;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (metric) => regex.test(metric);
}

interface RuleState {
  violating: boolean;
  lastValue: number;
  lastTs: number;
  lastSeenMs: number;
}

/**
 * Rules evaluated on every committed reading, producing alerts:
 *  - threshold: value above `above` or below `below`; alerts on entering violation only;
 *  - deadband: report by exception, an alert when the value moves more than `band` from
 *    the last reported value;
 *  - rate-of-change: |dv/dt| over `perSecondMax` between consecutive readings;
 *  - silence: no reading for `silentMsMax` (wall clock), checked on a schedule.
 */
export class RuleEngine {
  private readonly rules: (GatewayRule & { matches: (metric: string) => boolean })[];
  private readonly states = new Map<string, RuleState>();
  statesForgotten = 0;

  constructor(
    rules: readonly GatewayRule[],
    private readonly gatewayId: string,
  ) {
    this.rules = rules.map((rule) => ({ ...rule, matches: metricMatcher(rule.metric) }));
  }

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  check(reading: Reading, nowMs: number): Alert[] {
    const alerts: Alert[] = [];
    for (const rule of this.rules) {
      if (!rule.matches(reading.metric)) continue;
      const key = `${rule.name}\0${reading.deviceId}\0${reading.metric}`;
      const state = this.states.get(key);
      const alert = this.evaluate(rule, reading, state);
      if (alert) alerts.push(alert);
      this.remember(key, state, reading, nowMs, rule);
    }
    return alerts;
  }

  private evaluate(rule: RuleEngine['rules'][number], r: Reading, state: RuleState | undefined): Alert | undefined {
    const make = (message: string): Alert => ({
      id: `${this.gatewayId}/${rule.name}/${r.deviceId}/${r.metric}/${r.ts}`,
      gatewayId: this.gatewayId,
      rule: rule.name,
      kind: rule.kind,
      severity: rule.severity,
      deviceId: r.deviceId,
      metric: r.metric,
      ts: r.ts,
      value: r.value,
      message,
    });
    switch (rule.kind) {
      case 'threshold': {
        const violating = (rule.above !== undefined && r.value > rule.above) || (rule.below !== undefined && r.value < rule.below);
        if (!violating || state?.violating) return undefined;
        const bound = rule.above !== undefined && r.value > rule.above ? `above ${rule.above}` : `below ${rule.below}`;
        return make(`${r.metric} of ${r.deviceId} is ${r.value}, ${bound}`);
      }
      case 'deadband':
        if (state && Math.abs(r.value - state.lastValue) <= rule.band) return undefined;
        return make(`${r.metric} of ${r.deviceId} moved to ${r.value}${state ? ` from ${state.lastValue}` : ''}`);
      case 'rate-of-change': {
        if (!state || r.ts <= state.lastTs) return undefined;
        const perSecond = Math.abs(r.value - state.lastValue) / ((r.ts - state.lastTs) / 1000);
        if (perSecond <= rule.perSecondMax) return undefined;
        return make(`${r.metric} of ${r.deviceId} changed ${perSecond.toFixed(3)}/s, over ${rule.perSecondMax}/s`);
      }
      default:
        return undefined;
    }
  }

  private remember(key: string, state: RuleState | undefined, r: Reading, nowMs: number, rule: RuleEngine['rules'][number]): void {
    const violating =
      rule.kind === 'threshold'
        ? (rule.above !== undefined && r.value > rule.above) || (rule.below !== undefined && r.value < rule.below)
        : false;
    if (state) {
      // A deadband remembers the last *reported* value, so small drifts add up to a report.
      if (rule.kind !== 'deadband' || Math.abs(r.value - state.lastValue) > rule.band) state.lastValue = r.value;
      state.lastTs = r.ts;
      state.lastSeenMs = nowMs;
      state.violating = violating; // for silence rules: data arrived, so the device is no longer silent
      return;
    }
    if (this.states.size >= ruleStatesMax) {
      const oldest = this.states.keys().next().value as string;
      this.states.delete(oldest);
      this.statesForgotten++;
    }
    this.states.set(key, { violating, lastValue: r.value, lastTs: r.ts, lastSeenMs: nowMs });
  }

  /** Alerts for every (device, metric) a silence rule watches that has been quiet too long. */
  checkSilence(nowMs: number): Alert[] {
    const alerts: Alert[] = [];
    for (const rule of this.rules) {
      if (rule.kind !== 'silence') continue;
      for (const [key, state] of this.states) {
        const [name, deviceId, metric] = key.split('\0');
        if (name !== rule.name || state.violating || nowMs - state.lastSeenMs < rule.silentMsMax) continue;
        state.violating = true;
        alerts.push({
          id: `${this.gatewayId}/${rule.name}/${deviceId}/${metric}/${state.lastSeenMs}`,
          gatewayId: this.gatewayId,
          rule: rule.name,
          kind: rule.kind,
          severity: rule.severity,
          deviceId,
          metric,
          ts: nowMs,
          value: null,
          message: `no ${metric} from ${deviceId} for ${Math.round((nowMs - state.lastSeenMs) / 1000)} s`,
        });
      }
    }
    return alerts;
  }
}
