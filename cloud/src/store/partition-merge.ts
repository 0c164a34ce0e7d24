import type { EventEmitter } from 'node:events';
import { type DecodedEnvelope, decodeEnvelope, EnvelopeError, type MetricState, type PartitionRecord } from '@fogline/shared';
import { noteIncarnation } from '../intake/gateway-incarnations.js';
import { hasSeen, nothingSeen, withSeen } from '../intake/seen-seqs.js';
import type { IntakeEvents, IntakeOutcome, PartitionMerge, Resolution } from './cloud-store.js';
import { newGatewayStats } from './cloud-store.js';
import type { MergeBackend, MergeTransaction, StateKey, StateRow } from './merge-transaction.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** Where a message kept aside goes: the backend's quarantine. */
export interface KeepAside {
  keepNewer(topic: string, reason: string, bytes: Uint8Array, receivedAtMs: number): Promise<void>;
  reject(topic: string, reason: string, bytes: Uint8Array, receivedAtMs: number): Promise<void>;
}

/**
 * The heart of exactly-once, the same on every backend: applying an envelope merges every
 * record into the stored state of its (device, metric) window, hour and day AND records
 * (gateway, incarnation, seq) as seen, in ONE transaction; an envelope already seen is
 * skipped. A gateway (or a broker) resends whatever was not acknowledged, so a crash between
 * the commit and the acknowledgement costs a duplicate, never a double count.
 *
 * An envelope in a newer format is kept whole for a newer cloud to read; an unreadable one is
 * dead-lettered with the reason. A record that arrived unreadable, or whose merge would make a
 * stored figure non-finite, is dead-lettered alone: its neighbours merge.
 */
export class EnvelopeIntake implements PartitionMerge {
  constructor(
    private readonly backend: MergeBackend,
    private readonly aside: KeepAside,
    private readonly events: EventEmitter<IntakeEvents>,
  ) {}

  apply(topic: string, bytes: Uint8Array, receivedAtMs = Date.now()): Promise<IntakeOutcome> {
    return this.merge(topic, bytes, receivedAtMs, true);
  }

  replay(topic: string, bytes: Uint8Array, receivedAtMs: number): Promise<IntakeOutcome> {
    return this.merge(topic, bytes, receivedAtMs, false);
  }

  private async merge(topic: string, bytes: Uint8Array, receivedAtMs: number, archive: boolean): Promise<IntakeOutcome> {
    let envelope: DecodedEnvelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof EnvelopeError && error.code === 'ENVELOPE_VERSION_UNSUPPORTED') {
        await this.aside.keepNewer(topic, reason, bytes, receivedAtMs);
        return 'kept-newer-format';
      }
      await this.aside.reject(topic, reason, bytes, receivedAtMs);
      return 'dead-letter';
    }
    const topicGateway = topic.split('/')[2];
    if (topicGateway !== envelope.gatewayId) {
      const reason = `envelope gatewayId ${JSON.stringify(envelope.gatewayId)} does not match the topic's ${JSON.stringify(topicGateway)}`;
      await this.aside.reject(topic, reason, bytes, receivedAtMs);
      return 'dead-letter';
    }
    const result = await this.backend.transaction((tx) => mergeEnvelope(tx, topic, envelope, bytes, receivedAtMs, archive));
    const { gatewayId, incarnation } = envelope;
    if (result.news !== 'same') this.events.emit('incarnation', { gatewayId, incarnation, news: result.news, stats: result.stats });
    if (result.outcome === 'duplicate') return 'duplicate';
    if (result.gapSeqsSkipped > 0) this.events.emit('dedupGapSkipped', { gatewayId, incarnation, seqs: result.gapSeqsSkipped });
    if (result.rejected.length > 0) this.events.emit('recordsRejected', { gatewayId, reasons: result.rejected });
    this.events.emit('merged', { gatewayId, readings: result.readings });
    return 'merged';
  }
}

/** One envelope's merge, inside its transaction. */
async function mergeEnvelope(
  tx: MergeTransaction,
  topic: string,
  envelope: DecodedEnvelope,
  bytes: Uint8Array,
  receivedAtMs: number,
  archive: boolean,
) {
  const { gatewayId, incarnation } = envelope;
  const stats = (await tx.gatewayStats(gatewayId)) ?? newGatewayStats(gatewayId);
  stats.lastSeenMs = receivedAtMs;
  stats.bytesIn += bytes.length;
  const news = noteIncarnation(stats, incarnation, envelope.createdAtMs, receivedAtMs);
  const seen = (await tx.seen(gatewayId, incarnation)) ?? nothingSeen(envelope.firstSeq);
  if (hasSeen(seen, envelope.seq)) {
    stats.duplicates++;
    tx.putGatewayStats(stats);
    return { outcome: 'duplicate' as const, stats, news, gapSeqsSkipped: 0, rejected: [], readings: 0 };
  }
  const next = withSeen(seen, envelope.seq);
  const { records, rejected } = await mergeRecords(tx, envelope);
  let readings = 0;
  for (const [, state] of records) readings += state.count;
  stats.readings += readings;
  stats.envelopes++;
  stats.latestWindowEndMs = Math.max(stats.latestWindowEndMs ?? 0, envelope.windowEndMs);
  const head = bytes.subarray(0, 256);
  for (const reason of rejected) tx.deadLetter({ topic, reason, receivedAtMs, head });
  await tx.listMetricNames([...new Set(records.map(([[, metric]]) => metric))]);
  tx.putSeen(gatewayId, incarnation, next.seen);
  tx.putGatewayStats(stats);
  if (archive) tx.archive({ gatewayId, incarnation, seq: envelope.seq, topic, receivedAtMs, bytes });
  tx.announce('merged', { gatewayId, readings });
  return { outcome: 'merged' as const, stats, news, gapSeqsSkipped: next.gapSeqsSkipped, rejected, readings };
}

/**
 * Merges an envelope's records into their window, hour and day together, so the rollups stay
 * exact whenever a partition arrives (late ones after an outage included): one read and one
 * write per resolution for the whole envelope, not per record.
 */
async function mergeRecords(tx: MergeTransaction, envelope: DecodedEnvelope) {
  const rejected = envelope.rejected.map(({ key, reason }) => (key ? `${key[0]}/${key[1]}: ${reason}` : reason));
  const hourStartMs = envelope.windowStartMs - (envelope.windowStartMs % hourMs);
  const dayStartMs = envelope.windowStartMs - (envelope.windowStartMs % dayMs);
  const levels: [Resolution, number, number][] = [
    ['window', envelope.windowStartMs, envelope.windowEndMs],
    ['hour', hourStartMs, hourStartMs + hourMs],
    ['day', dayStartMs, dayStartMs + dayMs],
  ];
  const keysAt = (startMs: number): StateKey[] => envelope.records.map(([[deviceId, metric]]) => ({ deviceId, metric, startMs }));
  const merged: MetricState[][] = [];
  for (const [resolution, startMs] of levels) {
    const stored = await tx.states(resolution, keysAt(startMs));
    merged.push(envelope.records.map(([, state], i) => stored[i]?.merge(state) ?? state.clone()));
  }
  const rows: StateRow[][] = levels.map(() => []);
  const records: PartitionRecord[] = [];
  envelope.records.forEach((record, i) => {
    const [[deviceId, metric]] = record;
    let problem: string | undefined;
    for (let level = 0; level < levels.length && problem === undefined; level++) problem = merged[level][i].finiteProblem();
    if (problem) {
      rejected.push(`${deviceId}/${metric}: merging it would make a stored figure non-finite (${problem})`);
      return;
    }
    records.push(record);
    levels.forEach(([, startMs, endMs], level) => {
      rows[level].push({ key: { deviceId, metric, startMs }, endMs, state: merged[level][i] });
    });
  });
  levels.forEach(([resolution], level) => {
    if (rows[level].length > 0) tx.putStates(resolution, rows[level]);
  });
  return { records, rejected };
}
