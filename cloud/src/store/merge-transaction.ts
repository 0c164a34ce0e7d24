import type { MetricState } from '@fogline/shared';
import type { SeenSeqs } from '../intake/seen-seqs.js';
import type { GatewayStats, LiveEvents, Resolution } from './cloud-store.js';

/** Where one merged state is kept: its device, metric and the start of its window, hour or day. */
export interface StateKey {
  readonly deviceId: string;
  readonly metric: string;
  readonly startMs: number;
}

export interface StateRow {
  readonly key: StateKey;
  readonly endMs: number;
  readonly state: MetricState;
}

export interface DeadLetter {
  readonly topic: string;
  readonly reason: string;
  readonly receivedAtMs: number;
  /** The first bytes of the message, for an operator to recognise it. */
  readonly head: Uint8Array;
}

/**
 * What a backend offers the intake inside one transaction. Reads see the committed state and
 * hold it against other writers until commit (a row lock in PostgreSQL; one writer at a time
 * in level); writes take effect together at commit, or not at all. The intake logic above it
 * (partition-merge.ts, alert-intake.ts) is the same for every backend.
 */
export interface MergeTransaction {
  /** A gateway's stats, held: envelopes of one gateway are merged one at a time across the cluster. */
  gatewayStats(gatewayId: string): Promise<GatewayStats | undefined>;
  seen(gatewayId: string, incarnation: string): Promise<SeenSeqs | undefined>;
  /** The stored states at `keys`, held; undefined where none is stored yet. */
  states(resolution: Resolution, keys: readonly StateKey[]): Promise<(MetricState | undefined)[]>;
  putGatewayStats(stats: GatewayStats): void;
  putSeen(gatewayId: string, incarnation: string, seen: SeenSeqs): void;
  putStates(resolution: Resolution, rows: readonly StateRow[]): void;
  putAlert(gatewayId: string, seq: number, receivedAtMs: number, bytes: Uint8Array): void;
  /** Keeps the merged envelope in the archive (a no-op when the archive is off). */
  archive(envelope: { gatewayId: string; incarnation: string; seq: number; topic: string; receivedAtMs: number; bytes: Uint8Array }): void;
  deadLetter(letter: DeadLetter): void;
  /** Lists metric names not listed yet, up to metricNamesMax (names past it are counted, not listed). */
  listMetricNames(names: readonly string[]): Promise<void>;
  /** Tells every node's live dashboards, once this commits. */
  announce<K extends keyof LiveEvents>(event: K, payload: LiveEvents[K][0]): void;
}

export interface MergeBackend {
  /** Runs `work` in one transaction and commits what it wrote; a conflict with another writer retries it whole. */
  transaction<T>(work: (tx: MergeTransaction) => Promise<T>): Promise<T>;
}
