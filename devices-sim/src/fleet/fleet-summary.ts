import type { MetricTotals } from '../report/reading-tally.js';

/**
 * What fogline-sim prints when it ends (and writes with --summary). `delivered` counts what the
 * gateway acknowledged (QoS 1) or what was written to the socket (QoS 0); readings count one
 * per metric value, and an event as a reading of "event.<type>", as the gateway does.
 */
export interface FleetSummary {
  readonly seed: number;
  readonly fleet: string;
  readonly target: string;
  readonly qos: 0 | 1 | null;
  readonly speed: number;
  readonly simulated: { readonly startMs: number; readonly endMs: number | null; readonly reachedMs: number; readonly intervalMs: number };
  /** True when the run was interrupted (Ctrl-C) before the fleet was done. */
  readonly stoppedEarly: boolean;
  readonly wall: { readonly connectMs: number; readonly runMs: number };
  readonly devices: { readonly total: number; readonly connected: number; readonly refused: number };
  readonly publishes: {
    readonly generated: number;
    readonly telemetry: number;
    readonly events: number;
    readonly malformed: number;
    /** truncated and not-json are not JSON; non-finite and wrong-shape are JSON without a valid reading. */
    readonly malformedByKind: Readonly<Record<string, number>>;
    readonly sent: number;
    readonly delivered: number;
    /** The client gave up on them (the connection closed for good). */
    readonly undelivered: number;
    /** Still waiting for a PUBACK when the drain timeout passed. */
    readonly unacknowledged: number;
    /** Never handed to the client: its device's queue was at --in-flight-max, or the gateway refused the device. */
    readonly dropped: { readonly inFlightFull: number; readonly refused: number };
  };
  /** Telemetry publishes per wall-clock second: what the options ask for, and what was delivered (a dry run: generated). */
  readonly ratePerSecond: { readonly target: number | null; readonly achieved: number };
  readonly groundTruth: { readonly degradationOnsets: number; readonly failures: number; readonly repairs: number };
  readonly connections: {
    readonly reconnects: number;
    readonly storms: number;
    readonly interrupted: number;
    readonly errors: number;
    readonly lastError: string | null;
    readonly refusals: Readonly<Record<string, number>>;
  };
  readonly readings: { readonly delivered: number; readonly perMetric: Readonly<Record<string, MetricTotals>> };
  readonly perDevice: Readonly<Record<string, Readonly<Record<string, MetricTotals>>>>;
}
