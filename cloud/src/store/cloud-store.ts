import type { EventEmitter } from 'node:events';
import type { CommandStatus, DeviceCommand, MetricState, RddContext } from '@fogline/shared';
import type { IncarnationNews, IncarnationView } from '../intake/gateway-incarnations.js';
import type { DeviceHistory } from '../maintenance/hourly-history.js';

/**
 * The cloud's storage seam: one interface, several backends (the embedded level store, and
 * PostgreSQL for a cluster), in the spirit of abstract-level. Every backend passes the one
 * conformance suite (store-conformance.ts). The parts follow what the store does, so each
 * reads on its own: merging partitions, taking alerts, series and fleet queries, the registry
 * of gateways and devices, models, and what is kept aside (dead letters, parked messages).
 */
export interface CloudStore {
  readonly kind: 'level' | 'postgres';
  readonly partitions: PartitionMerge;
  readonly alerts: AlertIntake;
  readonly series: SeriesStore;
  readonly registry: RegistryStore;
  readonly models: ModelStore;
  readonly quarantine: Quarantine;
  readonly cluster: ClusterCoordinator;
  /** Envelopes as they arrived and merged, kept for a rebuild and for jobs over history. */
  readonly archive: EnvelopeArchive;
  /** Commands sent down to devices, with where each stands. */
  readonly commands: CommandStore;
  /** What this node's intake did, once it is committed (for its metrics and logs). */
  readonly events: EventEmitter<IntakeEvents>;
  /** What any node of the cluster merged or took, once committed: for the live dashboards. */
  readonly live: EventEmitter<LiveEvents>;
  close(): Promise<void>;
}

export type IntakeOutcome = 'merged' | 'duplicate' | 'dead-letter' | 'kept-newer-format';

/** The resolutions the store keeps: each window as forwarded, and hour and day rollups. */
export type Resolution = 'window' | 'hour' | 'day';
export const resolutions: readonly Resolution[] = ['window', 'hour', 'day'];

export interface GatewayStats extends IncarnationView {
  gatewayId: string;
  lastSeenMs: number;
  envelopes: number;
  duplicates: number;
  /** Readings the gateway's envelopes summarise (the sum of their states' counts). */
  readings: number;
  /** Bytes of envelopes received from this gateway. */
  bytesIn: number;
  /** The end of the newest window merged from this gateway (event time): how far its data reaches. */
  latestWindowEndMs: number;
}

export const newGatewayStats = (gatewayId: string): GatewayStats => ({
  gatewayId,
  lastSeenMs: 0,
  envelopes: 0,
  duplicates: 0,
  readings: 0,
  bytesIn: 0,
  latestWindowEndMs: 0,
});

export interface SeriesPoint {
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly state: MetricState;
}

/** How fleet aggregates are grouped: one group, per device, per gateway, or per value of a device label. */
export type FleetGrouping = { by: 'fleet' } | { by: 'device' } | { by: 'gateway' } | { by: 'label'; label: string };

/** Distinct metric names listed for the dashboard, at most; names beyond it are merged but not listed (counted). */
export const metricNamesMax = 10_000;
/** Unreadable envelopes kept for an operator, at most; the oldest go first (counted). */
export const deadEnvelopesMax = 10_000;
/** Messages kept whole (a newer format, or parked after failing again and again), at most; the oldest go first (counted). */
export const keptMessagesMax = 10_000;

export interface IntakeEvents {
  merged: [{ gatewayId: string; readings: number }];
  /** An envelope or alert from an incarnation not seen before, or from two at once. */
  incarnation: [{ gatewayId: string; incarnation: string; news: Exclude<IncarnationNews, 'same'>; stats: GatewayStats }];
  /** Seqs of an incarnation that never arrived, skipped over at seenAboveMarkMax (one arriving later is taken for a duplicate). */
  dedupGapSkipped: [{ gatewayId: string; incarnation: string; seqs: number }];
  /** Records of a merged envelope that were dead-lettered instead, with their reasons. */
  recordsRejected: [{ gatewayId: string; reasons: string[] }];
}

export interface LiveEvents {
  merged: [{ gatewayId: string; readings: number }];
  alert: [Record<string, unknown>];
  /** A new risk ranking was stored (by whichever node scored). */
  risk: [{ scoredAtMs: number }];
}

/** Decodes partition envelopes and merges them exactly once: dedup and merge commit together. */
export interface PartitionMerge {
  /** Applies one envelope received on `topic` (fogline/v1/{gatewayId}/partitions/{p}). */
  apply(topic: string, bytes: Uint8Array, receivedAtMs?: number): Promise<IntakeOutcome>;
  /** Merges an archived envelope again, exactly as apply, but without archiving it twice (a rebuild). */
  replay(topic: string, bytes: Uint8Array, receivedAtMs: number): Promise<IntakeOutcome>;
}

/** One envelope as it arrived, from the archive. */
export interface ArchivedEnvelope {
  readonly receivedAtMs: number;
  readonly topic: string;
  readonly bytes: Uint8Array;
}

/**
 * The archive: every envelope that merged, whole, in the transaction that merged it (so it
 * holds exactly what the rollups hold), until the retention deletes it. Duplicates and dead
 * letters are not archived.
 */
export interface EnvelopeArchive {
  /** False when the config keeps no archive (retention.archiveDays 0). */
  readonly enabled: boolean;
  /** Envelopes received in [fromMs, toMs), in the order they arrived. */
  scan(fromMs: number, toMs: number): AsyncIterable<ArchivedEnvelope>;
  /** When the oldest archived envelope arrived; undefined for an empty archive. */
  oldestMs(): Promise<number | undefined>;
  /** Deletes envelopes received before cutoffMs; returns how many. */
  applyRetention(cutoffMs: number): Promise<number>;
  /**
   * Deletes what the archive can rebuild: every merged state, the gateways' stats and the
   * dedup records. Only for a rebuild, with no node of the cloud running.
   */
  clearDerived(): Promise<void>;
}

export interface AlertIntake {
  /** An alert record; deduplicated by (gateway, incarnation, seq) with the partitions. */
  apply(gatewayId: string, bytes: Uint8Array, receivedAtMs?: number): Promise<IntakeOutcome>;
  /** The newest first. */
  list(limit: number): Promise<Record<string, unknown>[]>;
  /** Records what an operator did with an alert (by its id): the last word stands. */
  setState(alertId: string, state: AlertState): Promise<void>;
  /** The recorded states of these alerts; an alert without one is open. */
  states(alertIds: readonly string[]): Promise<Map<string, AlertState>>;
}

/** Where an alert stands: open until someone acknowledges it (seen, being handled), then resolved. */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface AlertState {
  readonly status: AlertStatus;
  /** Who, as they said (the API has no user accounts: its tokens are roles). */
  readonly by: string | null;
  readonly note: string | null;
  readonly atMs: number;
}

export interface SeriesStore {
  /** The states of one device and metric starting in [fromMs, toMs), oldest first. */
  series(deviceId: string, metric: string, fromMs: number, toMs: number, resolution?: Resolution): Promise<SeriesPoint[]>;
  /** One metric's windows starting in [fromMs, toMs), merged per group: exact fleet figures, not averages of averages. */
  fleet(
    rdd: RddContext,
    metric: string,
    fromMs: number,
    toMs: number,
    grouping: FleetGrouping,
    resolution?: Resolution,
  ): Promise<Map<string, MetricState>>;
  /** The metrics a device has sent, sorted. */
  metricsOf(deviceId: string): Promise<string[]>;
  /** Every metric name merged so far, sorted (up to metricNamesMax), and how many envelopes brought names not listed. */
  metricNames(): Promise<{ names: string[]; unlisted: number }>;
  /** Removes what is older than each resolution's retention; returns how many units of storage went (entries or partitions). */
  applyRetention(nowMs: number, keepMs: Record<Resolution, number>): Promise<number>;
  /** Every device's hourly moments per metric, from the hour rollups: what predictive maintenance reads. */
  hourHistories(): Promise<Map<string, DeviceHistory>>;
  /** Every state of a resolution starting in [fromMs, toMs), read a batch at a time (exports). */
  scan(resolution: Resolution, fromMs: number, toMs: number, only?: ScanFilter): AsyncIterable<StoredState>;
}

/** Narrows a scan to some metrics and devices (the SQL tables push their WHERE here). */
export interface ScanFilter {
  readonly metrics?: readonly string[];
  readonly deviceIds?: readonly string[];
}

/** One stored state with its key, as an export reads it. */
export interface StoredState {
  readonly deviceId: string;
  readonly metric: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly state: MetricState;
}

export interface DeviceEntry {
  readonly gatewayId: string;
  readonly labels: Record<string, string>;
}

export interface RegistryStore {
  /** Every gateway known: by its partitions, or only by a status record. Sorted by id. */
  gatewayList(): Promise<GatewayStats[]>;
  putStatus(gatewayId: string, status: Record<string, unknown>): Promise<void>;
  statusOf(gatewayId: string): Promise<Record<string, unknown> | undefined>;
  /** A gateway's device registry: deviceId -> labels. */
  putDevices(gatewayId: string, devices: Record<string, Record<string, string>>): Promise<void>;
  deviceOf(deviceId: string): Promise<DeviceEntry | undefined>;
  deviceCount(): Promise<number>;
  devices(): Promise<Map<string, DeviceEntry>>;
}

export interface ModelStore {
  /** A trained maintenance model, one per kind of device; the newest replaces the last. */
  put(kind: string, model: unknown): Promise<void>;
  list<T>(): Promise<T[]>;
  /** The latest risk ranking, stored whole by the node that scored and announced on `live` ('risk'), read by every node. */
  putRanking(ranking: { scoredAtMs: number; devices: unknown[] }): Promise<void>;
  ranking<T>(): Promise<{ scoredAtMs: number; devices: T[] } | undefined>;
}

export interface Quarantine {
  /** Keeps a message the intake failed on again and again, whole, with the reason; an operator replays it. */
  park(topic: string, reason: string, bytes: Uint8Array): Promise<void>;
  /** Keeps a message that could not be used, with the reason, among the bounded dead letters. */
  reject(topic: string, reason: string, bytes: Uint8Array): Promise<void>;
  deadLetters(): Promise<{ topic: string; reason: string }[]>;
  keptNewer(): Promise<{ topic: string; reason: string; parked?: boolean }[]>;
  /** Dead letters and kept messages dropped at their maxima (the oldest first), by this node. */
  readonly dropped: number;
}

export interface ClusterNode {
  readonly nodeId: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAtMs: number;
  readonly heartbeatAtMs: number;
  readonly state: 'up' | 'down';
  readonly leader: boolean;
  readonly detail: Record<string, unknown>;
}

/**
 * The nodes of a cluster over one store: who is up, and which one runs the scheduled jobs
 * (retention, training, scoring) so that they run once per cluster.
 */
export interface ClusterCoordinator {
  readonly nodeId: string;
  /** Starts heartbeats and the leader election; `detail` is what this node reports of itself. */
  start(detail: () => Record<string, unknown>): Promise<void>;
  isLeader(): boolean;
  nodes(): Promise<ClusterNode[]>;
  stop(): Promise<void>;
}

/** A command as the cloud keeps it: what was asked, for which gateway, and where it stands. */
export interface StoredCommand extends DeviceCommand {
  readonly gatewayId: string;
  readonly status: CommandStatus;
  readonly statusAtMs: number;
  readonly detail: string | null;
}

export interface CommandStore {
  put(command: StoredCommand): Promise<void>;
  get(id: string): Promise<StoredCommand | undefined>;
  /** A device's commands, the newest first. */
  ofDevice(deviceId: string, limit: number): Promise<StoredCommand[]>;
  /** A gateway's commands still queued and not expired at nowMs: sent again when it comes online. */
  pendingFor(gatewayId: string, nowMs: number): Promise<StoredCommand[]>;
}
