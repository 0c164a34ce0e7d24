/** What a device has to say at a simulated moment: a publish to the gateway, or a ground-truth record. */
export type Emission = Publish | TruthEmission;

export interface Publish {
  readonly kind: 'publish';
  /** Simulated time at which the device sends it; a late or out-of-order reading goes after its event time. */
  readonly sendAtMs: number;
  readonly deviceIndex: number;
  readonly topic: string;
  readonly payload: string;
  /** A telemetry publish's readings by metric; an event's is {"event.<type>": 1}, as the gateway counts it. */
  readonly readings?: Readonly<Record<string, number>>;
  /** Set on a deliberately malformed payload: how it is broken. */
  readonly malformed?: MalformedKind;
}

export interface TruthEmission {
  readonly kind: 'truth';
  readonly sendAtMs: number;
  readonly deviceIndex: number;
  readonly record: GroundTruthRecord;
}

/** One line of the ground-truth JSONL file, in the simulated clock's true time (not the device's skewed clock). */
export interface GroundTruthRecord {
  /** service and reboot: commands the device obeyed (a technician's visit, a restart). */
  readonly event: 'degradation-onset' | 'failure' | 'repair' | 'service' | 'reboot' | 'health';
  readonly deviceId: string;
  readonly profile: string;
  readonly ts: number;
  /** The failure mode of the cycle; on service and reboot, absent. */
  readonly mode?: string;
  /** On service: restored (a degrading part replaced before it failed), repaired (a failed one) or healthy (nothing to fix). */
  readonly outcome?: string;
  /** On degradation-onset: when the device will fail, unless the run ends first. */
  readonly failAtMs?: number;
  /** On health (hourly while a part wears): the hidden wear, 0 (none) to 1 (failing); 0 all along before a sudden failure. */
  readonly severity?: number;
  /** On a field profile's onset and failure: a failure with no warning. */
  readonly sudden?: boolean;
}

export const malformedKinds = ['truncated', 'not-json', 'non-finite', 'wrong-shape'] as const;
export type MalformedKind = (typeof malformedKinds)[number];
