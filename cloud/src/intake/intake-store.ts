import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BoundedRecordStore,
  binarySublevel,
  type DecodedEnvelope,
  decodeEnvelope,
  decodeMetricState,
  EnvelopeError,
  encodeMetricState,
  type MetricState,
  type PartitionRecord,
  type RddContext,
  type Sublevel,
  sortableKey,
} from '@fogline/shared';
import { Level } from 'level';
import { Packr } from 'msgpackr';
import type { DeviceHistory } from '../maintenance/hourly-history.js';
import { DedupLedger } from './dedup-ledger.js';
import { type IncarnationNews, type IncarnationView, noteIncarnation } from './gateway-incarnations.js';

const packr = new Packr({ useRecords: false });
const pad = sortableKey;

export type IntakeOutcome = 'merged' | 'duplicate' | 'dead-letter' | 'kept-newer-format';

/** The resolutions the store keeps: each window as forwarded, and hour and day rollups. */
export type Resolution = 'window' | 'hour' | 'day';
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

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

export interface SeriesPoint {
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly state: MetricState;
}

/** Distinct metric names listed for the dashboard, at most; names beyond it are merged but not listed (counted). */
export const metricNamesMax = 10_000;

/** What the store tells listeners (the live dashboard) once a write is on disk. */
export interface IntakeEvents {
  merged: [{ gatewayId: string; readings: number }];
  /** An envelope or alert from an incarnation not seen before, or from two at once. */
  incarnation: [{ gatewayId: string; incarnation: string; news: Exclude<IncarnationNews, 'same'>; stats: GatewayStats }];
  /** Seqs of an incarnation that never arrived, skipped over at seenAboveMarkMax (one arriving later is taken for a duplicate). */
  dedupGapSkipped: [{ gatewayId: string; incarnation: string; seqs: number }];
  /** Records of a merged envelope that were dead-lettered instead, with their reasons. */
  recordsRejected: [{ gatewayId: string; reasons: string[] }];
  alert: [Record<string, unknown>];
}

/** Unreadable envelopes kept for an operator, at most; the oldest go first (counted). */
export const deadEnvelopesMax = 10_000;

/**
 * The cloud's store and the heart of exactly-once: applying a partition envelope merges every
 * record into the stored state of its (device, metric, window) AND records (gatewayId, seq)
 * as seen, in ONE atomic level batch; an envelope already seen is skipped. A gateway resends
 * whatever it has not had acknowledged, so a crash between the write and the acknowledgement
 * costs a duplicate, never a double count. Applies run one at a time, since each reads the
 * states it merges into.
 *
 * An envelope in a newer format is kept whole (with the reason) for a newer cloud to read;
 * an unreadable one goes to a bounded dead-letter store with the reason.
 */
export class IntakeStore {
  private readonly windows: Sublevel;
  private readonly hours: Sublevel;
  private readonly days: Sublevel;
  private readonly legacySeen;
  readonly dedup: DedupLedger;
  private readonly gateways;
  private readonly dead: BoundedRecordStore<{ topic: string; reason: string; receivedAtMs: number; head: Buffer }>;
  private readonly newer;
  private readonly alerts;
  private readonly status;
  private readonly registry;
  private readonly models;
  private readonly metricNameStore;
  private readonly metricNames = new Set<string>();
  /** Envelopes that brought a metric name not listed because metricNamesMax was reached. */
  metricNamesUnlisted = 0;
  readonly events = new EventEmitter<IntakeEvents>();
  private chain: Promise<unknown> = Promise.resolve();
  private newerNextId = 0;

  private constructor(readonly db: Level<string, Uint8Array>) {
    this.windows = binarySublevel(db, 'series');
    this.hours = binarySublevel(db, 'hours');
    this.days = binarySublevel(db, 'days');
    this.legacySeen = binarySublevel(db, 'seen');
    this.dedup = new DedupLedger(binarySublevel(db, 'dedup'));
    this.gateways = binarySublevel(db, 'gateways');
    this.dead = new BoundedRecordStore(binarySublevel(db, 'dead'), deadEnvelopesMax);
    this.newer = binarySublevel(db, 'newer');
    this.alerts = binarySublevel(db, 'alerts');
    this.status = binarySublevel(db, 'status');
    this.registry = binarySublevel(db, 'registry');
    this.models = binarySublevel(db, 'models');
    this.metricNameStore = binarySublevel(db, 'metric-names');
  }

  /** power: every intake write is fsynced before the gateway is acknowledged (see the gateway's ingest.durability). */
  private sync = false;

  static async open(dataDir: string, durability: 'process' | 'power' = 'process'): Promise<IntakeStore> {
    mkdirSync(dataDir, { recursive: true });
    const db = new Level<string, Uint8Array>(join(dataDir, 'cloud.db'), { valueEncoding: 'view' });
    await db.open();
    const store = new IntakeStore(db);
    store.sync = durability === 'power';
    await store.dead.init();
    await store.dedup.migrateLegacy(store.legacySeen);
    for await (const name of store.metricNameStore.keys()) store.metricNames.add(name);
    if (store.metricNames.size === 0) await store.listMetricNamesFromDays();
    return store;
  }

  /** Applies one partition envelope received on `topic` (fogline/v1/{gatewayId}/partitions/{p}). */
  apply(topic: string, bytes: Uint8Array, receivedAtMs = Date.now()): Promise<IntakeOutcome> {
    return this.serially(() => this.applyNow(topic, bytes, receivedAtMs));
  }

  /** A write whose success the gateway is told of (PUBACK): fsynced first with durability 'power'. */
  private intakeBatch(operations: readonly unknown[]): Promise<void> {
    return this.db.batch(operations as never, { sync: this.sync });
  }

  /** Runs writes one after another: each reads what it then writes (states, seen marks). */
  private serially<T>(write: () => Promise<T>): Promise<T> {
    const result = this.chain.then(write);
    this.chain = result.catch(() => {});
    return result;
  }

  private async applyNow(topic: string, bytes: Uint8Array, receivedAtMs: number): Promise<IntakeOutcome> {
    let envelope: DecodedEnvelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof EnvelopeError && error.code === 'ENVELOPE_VERSION_UNSUPPORTED') {
        // The id keeps two envelopes of the same millisecond and topic apart: both are kept.
        await this.newer.put(`${pad(receivedAtMs)}/${topic}/${this.newerNextId++}`, packr.pack({ topic, reason, bytes }));
        return 'kept-newer-format';
      }
      await this.deadLetter(topic, reason, bytes, receivedAtMs);
      return 'dead-letter';
    }
    const topicGateway = topic.split('/')[2];
    if (topicGateway !== envelope.gatewayId) {
      await this.deadLetter(
        topic,
        `envelope gatewayId ${JSON.stringify(envelope.gatewayId)} does not match the topic's ${JSON.stringify(topicGateway)}`,
        bytes,
        receivedAtMs,
      );
      return 'dead-letter';
    }
    const stats = await this.gatewayStats(envelope.gatewayId);
    stats.lastSeenMs = receivedAtMs;
    stats.bytesIn += bytes.length;
    const news = noteIncarnation(stats, envelope.incarnation, envelope.createdAtMs, receivedAtMs);
    const dedup = await this.dedup.check(envelope.gatewayId, envelope.incarnation, envelope.firstSeq, envelope.seq);
    if (dedup.duplicate) {
      stats.duplicates++;
      await this.gateways.put(envelope.gatewayId, Buffer.from(JSON.stringify(stats)));
      this.announce(envelope.gatewayId, envelope.incarnation, news, stats);
      return 'duplicate';
    }
    const { operations, records, rejected } = await this.mergeOperations(envelope);
    let readings = 0;
    for (const [, state] of records) readings += state.count;
    stats.readings += readings;
    stats.envelopes++;
    stats.latestWindowEndMs = Math.max(stats.latestWindowEndMs ?? 0, envelope.windowEndMs);
    const newNames = this.newMetricNames(records);
    const head = Buffer.from(bytes.subarray(0, 256));
    await this.intakeBatch([
      ...operations,
      ...rejected.flatMap((reason) => this.dead.append({ topic, reason, receivedAtMs, head })),
      ...newNames.map((name) => ({ type: 'put', sublevel: this.metricNameStore, key: name, value: new Uint8Array(0) })),
      dedup.record,
      { type: 'put', sublevel: this.gateways, key: envelope.gatewayId, value: Buffer.from(JSON.stringify(stats)) },
    ]);
    for (const name of newNames) this.metricNames.add(name);
    this.announce(envelope.gatewayId, envelope.incarnation, news, stats);
    if (dedup.gapSeqsSkipped > 0)
      this.events.emit('dedupGapSkipped', { gatewayId: envelope.gatewayId, incarnation: envelope.incarnation, seqs: dedup.gapSeqsSkipped });
    if (rejected.length > 0) this.events.emit('recordsRejected', { gatewayId: envelope.gatewayId, reasons: rejected });
    this.events.emit('merged', { gatewayId: envelope.gatewayId, readings });
    return 'merged';
  }

  private announce(gatewayId: string, incarnation: string, news: IncarnationNews, stats: GatewayStats): void {
    if (news !== 'same') this.events.emit('incarnation', { gatewayId, incarnation, news, stats });
  }

  /**
   * The puts that merge an envelope's records into their window, hour and day, in one batch so
   * that the rollups stay exact whenever a partition arrives (late ones after an outage
   * included). A record that arrived unreadable, or whose merge would make a stored figure
   * non-finite, is left out with the reason: its neighbours merge, and no stored rollup is
   * ever poisoned.
   */
  private async mergeOperations(envelope: DecodedEnvelope) {
    const rejected = envelope.rejected.map(({ key, reason }) => (key ? `${key[0]}/${key[1]}: ${reason}` : reason));
    const hourStartMs = envelope.windowStartMs - (envelope.windowStartMs % hourMs);
    const dayStartMs = envelope.windowStartMs - (envelope.windowStartMs % dayMs);
    const levels = [
      [this.windows, envelope.windowStartMs, envelope.windowEndMs],
      [this.hours, hourStartMs, hourStartMs + hourMs],
      [this.days, dayStartMs, dayStartMs + dayMs],
    ] as const;
    const merged = await Promise.all(
      levels.map(async ([sublevel, startMs]) => {
        const keys = envelope.records.map(([[deviceId, metric]]) => `${deviceId}/${metric}/${pad(startMs)}`);
        const existing = await sublevel.getMany(keys);
        return envelope.records.map(([, state], i) => {
          const stored = existing[i];
          return stored === undefined ? state.clone() : decodeMetricState((packr.unpack(stored) as [number, Uint8Array])[1]).merge(state);
        });
      }),
    );
    const operations: { type: 'put'; sublevel: Sublevel; key: string; value: Uint8Array }[] = [];
    const records: PartitionRecord[] = [];
    envelope.records.forEach((record, i) => {
      const [[deviceId, metric]] = record;
      let problem: string | undefined;
      for (let level = 0; level < merged.length && problem === undefined; level++) problem = merged[level][i].finiteProblem();
      if (problem) {
        rejected.push(`${deviceId}/${metric}: merging it would make a stored figure non-finite (${problem})`);
        return;
      }
      records.push(record);
      levels.forEach(([sublevel, startMs, endMs], level) => {
        const key = `${deviceId}/${metric}/${pad(startMs)}`;
        operations.push({ type: 'put', sublevel, key, value: packr.pack([endMs, encodeMetricState(merged[level][i])]) });
      });
    });
    return { operations, records, rejected };
  }

  /**
   * A store written before metric names were listed: one seek per (device, metric) in the day
   * rollups finds them all.
   */
  private async listMetricNamesFromDays(): Promise<void> {
    for await (const [, metric] of this.deviceMetricsInDays({})) {
      if (this.metricNames.size >= metricNamesMax) break;
      this.metricNames.add(metric);
    }
    await this.metricNameStore.batch(
      [...this.metricNames].map((name) => ({ type: 'put' as const, key: name, value: new Uint8Array(0) })) as never,
    );
  }

  /** Metric names the records bring that are not listed yet, up to metricNamesMax. */
  private newMetricNames(records: readonly PartitionRecord[]): string[] {
    const names = new Set<string>();
    for (const [[, metric]] of records) if (!this.metricNames.has(metric)) names.add(metric);
    const room = metricNamesMax - this.metricNames.size;
    if (names.size > room) this.metricNamesUnlisted += names.size - Math.max(0, room);
    return [...names].slice(0, Math.max(0, room));
  }

  /** The metrics a device has sent, sorted. */
  async metricsOf(deviceId: string): Promise<string[]> {
    const metrics: string[] = [];
    for await (const [, metric] of this.deviceMetricsInDays({ gt: `${deviceId}/`, lt: `${deviceId}0` })) metrics.push(metric);
    return metrics.sort();
  }

  /**
   * Each (device, metric) pair of the day rollups within `range`, once: one seek per pair past
   * its days, not a scan of them. Keys are device/metric/day, and '0' sorts right after '/'.
   */
  private async *deviceMetricsInDays(range: { gt?: string; lt?: string }): AsyncGenerator<[deviceId: string, metric: string]> {
    const keys = this.days.keys(range);
    try {
      for (let key = await keys.next(); key !== undefined; key = await keys.next()) {
        const pair = key.slice(0, key.lastIndexOf('/'));
        const slash = pair.indexOf('/');
        yield [pair.slice(0, slash), pair.slice(slash + 1)];
        keys.seek(`${pair}0`);
      }
    } finally {
      await keys.close();
    }
  }

  /** Every metric name merged so far, sorted (up to metricNamesMax). */
  metricNameList(): string[] {
    return [...this.metricNames].sort();
  }

  private async gatewayStats(gatewayId: string): Promise<GatewayStats> {
    const bytes = await this.gateways.get(gatewayId);
    return bytes
      ? JSON.parse(Buffer.from(bytes).toString('utf8'))
      : { gatewayId, lastSeenMs: 0, envelopes: 0, duplicates: 0, readings: 0, bytesIn: 0, latestWindowEndMs: 0 };
  }

  /** Keeps a message the intake failed on again and again, whole, with the reason; an operator replays it. */
  async park(topic: string, reason: string, bytes: Uint8Array): Promise<void> {
    await this.newer.put(`${pad(Date.now())}/${topic}/${this.newerNextId++}`, packr.pack({ topic, reason, bytes, parked: true }));
  }

  /** Keeps a message that could not be used, with the reason, in the bounded dead-letter store. */
  reject(topic: string, reason: string, bytes: Uint8Array): Promise<void> {
    return this.deadLetter(topic, reason, bytes, Date.now());
  }

  private async deadLetter(topic: string, reason: string, bytes: Uint8Array, receivedAtMs: number): Promise<void> {
    await this.intakeBatch(this.dead.append({ topic, reason, receivedAtMs, head: Buffer.from(bytes.subarray(0, 256)) }));
  }

  /** Dead letters dropped at deadEnvelopesMax (the oldest first). */
  get deadDropped(): number {
    return this.dead.dropped;
  }

  private sublevelOf(resolution: Resolution) {
    return resolution === 'window' ? this.windows : resolution === 'hour' ? this.hours : this.days;
  }

  /** Deletes what is older than each resolution's retention; returns how many entries went. */
  async applyRetention(nowMs: number, keepMs: Record<Resolution, number>): Promise<number> {
    let deleted = 0;
    for (const resolution of ['window', 'hour', 'day'] as const) {
      const sublevel = this.sublevelOf(resolution);
      const cutoff = nowMs - keepMs[resolution];
      const old: string[] = [];
      for await (const key of sublevel.keys()) if (Number(key.slice(key.lastIndexOf('/') + 1)) < cutoff) old.push(key);
      for (let k = 0; k < old.length; k += 10_000)
        await sublevel.batch(old.slice(k, k + 10_000).map((key) => ({ type: 'del' as const, key })) as never);
      deleted += old.length;
    }
    return deleted;
  }

  /** The states of one device and metric starting in [fromMs, toMs), per window, hour or day, oldest first. */
  async series(deviceId: string, metric: string, fromMs: number, toMs: number, resolution: Resolution = 'window'): Promise<SeriesPoint[]> {
    const points: SeriesPoint[] = [];
    const prefix = `${deviceId}/${metric}/`;
    for await (const [key, value] of this.sublevelOf(resolution).iterator({ gte: prefix + pad(fromMs), lt: prefix + pad(toMs) })) {
      const [windowEndMs, state] = packr.unpack(value) as [number, Uint8Array];
      points.push({ windowStartMs: Number(key.slice(prefix.length)), windowEndMs, state: decodeMetricState(state) });
    }
    return points;
  }

  /**
   * Fleet aggregates for one metric over windows starting in [fromMs, toMs), grouped by
   * `groupOf(deviceId)`: a job on the RDD engine that merges states, so fleet means, variances
   * and quantiles are exact merges of what the gateways sent, not averages of averages.
   */
  async fleet(
    rdd: RddContext,
    metric: string,
    fromMs: number,
    toMs: number,
    groupOf: (deviceId: string) => string,
  ): Promise<Map<string, MetricState>> {
    // Decoded while iterating: the iterator's buffers are not ours to keep.
    const rows: [string, MetricState][] = [];
    for await (const [key, value] of this.windows.iterator()) {
      const [deviceId, keyMetric, start] = key.split('/');
      const startMs = Number(start);
      if (keyMetric === metric && startMs >= fromMs && startMs < toMs)
        rows.push([groupOf(deviceId), decodeMetricState((packr.unpack(value) as [number, Uint8Array])[1])]);
    }
    const merged = await rdd
      .parallelize(rows)
      .reduceByKey((a, b) => a.merge(b))
      .collectAsMap();
    return merged;
  }

  /** An alert record; keyed by (gatewayId, seq), so a resent alert is stored once. */
  applyAlert(gatewayId: string, bytes: Uint8Array, receivedAtMs = Date.now()): Promise<IntakeOutcome> {
    return this.serially(() => this.applyAlertNow(gatewayId, bytes, receivedAtMs));
  }

  private async applyAlertNow(gatewayId: string, bytes: Uint8Array, receivedAtMs: number): Promise<IntakeOutcome> {
    let alert: { seq?: unknown; gatewayId?: unknown; incarnation?: unknown; firstSeq?: unknown; createdAtMs?: unknown; ts?: unknown };
    try {
      alert = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      await this.deadLetter(`fogline/v1/${gatewayId}/alerts`, `alert is not valid JSON (${(error as Error).message})`, bytes, receivedAtMs);
      return 'dead-letter';
    }
    if (!Number.isSafeInteger(alert.seq) || alert.gatewayId !== gatewayId) {
      await this.deadLetter(
        `fogline/v1/${gatewayId}/alerts`,
        `alert seq was ${JSON.stringify(alert.seq)} and gatewayId ${JSON.stringify(alert.gatewayId)}, expected an integer seq from gateway ${gatewayId}`,
        bytes,
        receivedAtMs,
      );
      return 'dead-letter';
    }
    // Alerts from before incarnations read as the incarnation '', like format-1 envelopes.
    const incarnation = typeof alert.incarnation === 'string' ? alert.incarnation : '';
    const firstSeq = Number.isSafeInteger(alert.firstSeq) ? (alert.firstSeq as number) : 0;
    const key = `${pad(receivedAtMs)}/${gatewayId}/${pad(alert.seq as number)}`;
    const dedup = await this.dedup.check(gatewayId, incarnation, firstSeq, alert.seq as number);
    if (dedup.duplicate) return 'duplicate';
    await this.intakeBatch([{ type: 'put', sublevel: this.alerts, key, value: Buffer.from(bytes) }, dedup.record]);
    this.events.emit('alert', alert as Record<string, unknown>);
    return 'merged';
  }

  /** The newest alerts first. */
  async alertList(limit: number): Promise<Record<string, unknown>[]> {
    return (await this.alerts.values({ reverse: true, limit }).all()).map((v) => JSON.parse(Buffer.from(v).toString('utf8')));
  }

  /** A gateway's retained status record (online or not, health figures). */
  async putStatus(gatewayId: string, status: Record<string, unknown>): Promise<void> {
    await this.status.put(gatewayId, Buffer.from(JSON.stringify(status)));
  }

  async statusOf(gatewayId: string): Promise<Record<string, unknown> | undefined> {
    const bytes = await this.status.get(gatewayId);
    return bytes ? JSON.parse(Buffer.from(bytes).toString('utf8')) : undefined;
  }

  /** A gateway's device registry: deviceId -> labels. */
  async putRegistry(gatewayId: string, devices: Record<string, Record<string, string>>): Promise<void> {
    await this.registry.batch(
      Object.entries(devices).map(([deviceId, labels]) => ({
        type: 'put' as const,
        key: deviceId,
        value: Buffer.from(JSON.stringify({ gatewayId, labels })),
      })) as never,
    );
  }

  async deviceOf(deviceId: string): Promise<{ gatewayId: string; labels: Record<string, string> } | undefined> {
    const bytes = await this.registry.get(deviceId);
    return bytes ? JSON.parse(Buffer.from(bytes).toString('utf8')) : undefined;
  }

  /** Devices in the gateways' registries (keys only: the overview counts them every few seconds). */
  async deviceCount(): Promise<number> {
    let count = 0;
    for await (const _ of this.registry.keys()) count++;
    return count;
  }

  /** deviceId -> { gatewayId, labels }, for grouping fleet aggregates. */
  async devices(): Promise<Map<string, { gatewayId: string; labels: Record<string, string> }>> {
    const out = new Map<string, { gatewayId: string; labels: Record<string, string> }>();
    for await (const [key, value] of this.registry.iterator()) out.set(key, JSON.parse(Buffer.from(value).toString('utf8')));
    return out;
  }

  /**
   * Every device's hourly history (count, mean, squared deviations per metric and hour), from
   * the hour rollups: what predictive maintenance reads. Decoded while iterating.
   */
  async hourHistories(): Promise<Map<string, DeviceHistory>> {
    const devices = new Map<string, DeviceHistory>();
    for await (const [key, value] of this.hours.iterator()) {
      const [deviceId, metric, start] = key.split('/');
      const state = decodeMetricState((packr.unpack(value) as [number, Uint8Array])[1]);
      let history = devices.get(deviceId);
      if (!history) {
        history = new Map();
        devices.set(deviceId, history);
      }
      let hours = history.get(metric);
      if (!hours) {
        hours = new Map();
        history.set(metric, hours);
      }
      hours.set(Number(start), { count: state.count, mean: state.mean, m2: state.count > 0 ? state.variance * state.count : 0 });
    }
    return devices;
  }

  /** A trained maintenance model, one per kind of device; the newest replaces the last. */
  async putModel(kind: string, model: unknown): Promise<void> {
    await this.models.put(kind, Buffer.from(JSON.stringify(model)));
  }

  async modelList<T>(): Promise<T[]> {
    return (await this.models.values().all()).map((v) => JSON.parse(Buffer.from(v).toString('utf8')) as T);
  }

  /** Every gateway known: by its partitions, or only by a status record (one with no devices yet). */
  async gatewayList(): Promise<GatewayStats[]> {
    const stats: GatewayStats[] = (await this.gateways.values().all()).map((v) => JSON.parse(Buffer.from(v).toString('utf8')));
    const known = new Set(stats.map((g) => g.gatewayId));
    for (const gatewayId of await this.status.keys().all()) {
      if (!known.has(gatewayId)) stats.push(await this.gatewayStats(gatewayId));
    }
    return stats.sort((a, b) => (a.gatewayId < b.gatewayId ? -1 : 1));
  }

  async deadLetters(): Promise<{ topic: string; reason: string }[]> {
    return this.dead.all();
  }

  async keptNewer(): Promise<{ topic: string; reason: string }[]> {
    return (await this.newer.values().all()).map((v) => packr.unpack(v));
  }

  async close(): Promise<void> {
    await this.chain;
    await this.db.close();
  }
}
