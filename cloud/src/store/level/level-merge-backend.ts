import type { EventEmitter } from 'node:events';
import { decodeMetricState, encodeMetricState, type MetricState, type Sublevel, sortableKey } from '@fogline/shared';
import type { Level } from 'level';
import { Packr } from 'msgpackr';
import type { SeenSeqs } from '../../intake/seen-seqs.js';
import type { GatewayStats, LiveEvents, Resolution } from '../cloud-store.js';
import type { DeadLetter, MergeBackend, MergeTransaction, StateKey, StateRow } from '../merge-transaction.js';
import { archiveKey, encodeArchived } from './level-archive.js';
import type { LevelDedupLedger } from './level-dedup-ledger.js';
import type { LevelMetricNames } from './level-metric-names.js';
import type { LevelQuarantine } from './level-quarantine.js';

const packr = new Packr({ useRecords: false });

/** The sublevels an intake transaction reads and writes. */
export interface LevelIntakeSublevels {
  readonly states: Record<Resolution, Sublevel>;
  readonly gateways: Sublevel;
  readonly alerts: Sublevel;
  readonly dedup: LevelDedupLedger;
  readonly names: LevelMetricNames;
  readonly quarantine: LevelQuarantine;
  /** The archive's sublevel; unset when the archive is off. */
  readonly archive?: Sublevel;
}

export const stateKey = (key: StateKey) => `${key.deviceId}/${key.metric}/${sortableKey(key.startMs)}`;
export const decodeStored = (value: Uint8Array): [endMs: number, state: MetricState] => {
  const [endMs, state] = packr.unpack(value) as [number, Uint8Array];
  return [endMs, decodeMetricState(state)];
};
export const encodeStored = (endMs: number, state: MetricState) => packr.pack([endMs, encodeMetricState(state)]);

/**
 * Transactions on the embedded store: one at a time (each reads what it then writes), their
 * writes gathered into ONE atomic level batch, fsynced first when durability is 'power'. The
 * live events of a transaction are emitted once its batch is on disk.
 */
export class LevelMergeBackend implements MergeBackend {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Level<string, Uint8Array>,
    private readonly parts: LevelIntakeSublevels,
    private readonly live: EventEmitter<LiveEvents>,
    private readonly sync: boolean,
  ) {}

  transaction<T>(work: (tx: MergeTransaction) => Promise<T>): Promise<T> {
    const result = this.chain.then(async () => {
      const tx = new LevelMergeTransaction(this.parts);
      const value = await work(tx);
      await this.db.batch(tx.operations as never, { sync: this.sync });
      tx.committed();
      for (const [event, payload] of tx.announced) this.live.emit(event, payload as never);
      return value;
    });
    this.chain = result.catch(() => {});
    return result;
  }

  /** Resolves once the transactions already begun are done. */
  async drain(): Promise<void> {
    await this.chain;
  }
}

type Put = { type: 'put'; sublevel: Sublevel; key: string; value: Uint8Array };

class LevelMergeTransaction implements MergeTransaction {
  readonly operations: Put[] = [];
  readonly announced: [keyof LiveEvents, unknown][] = [];
  private readonly newNames: string[] = [];

  constructor(private readonly parts: LevelIntakeSublevels) {}

  async gatewayStats(gatewayId: string): Promise<GatewayStats | undefined> {
    const bytes = await this.parts.gateways.get(gatewayId);
    return bytes ? JSON.parse(Buffer.from(bytes).toString('utf8')) : undefined;
  }

  seen(gatewayId: string, incarnation: string): Promise<SeenSeqs | undefined> {
    return this.parts.dedup.read(gatewayId, incarnation);
  }

  async states(resolution: Resolution, keys: readonly StateKey[]): Promise<(MetricState | undefined)[]> {
    const stored = await this.parts.states[resolution].getMany(keys.map(stateKey));
    return stored.map((value) => (value === undefined ? undefined : decodeStored(value)[1]));
  }

  putGatewayStats(stats: GatewayStats): void {
    this.operations.push({ type: 'put', sublevel: this.parts.gateways, key: stats.gatewayId, value: Buffer.from(JSON.stringify(stats)) });
  }

  putSeen(gatewayId: string, incarnation: string, seen: SeenSeqs): void {
    this.operations.push(this.parts.dedup.operation(gatewayId, incarnation, seen));
  }

  putStates(resolution: Resolution, rows: readonly StateRow[]): void {
    const sublevel = this.parts.states[resolution];
    for (const { key, endMs, state } of rows)
      this.operations.push({ type: 'put', sublevel, key: stateKey(key), value: encodeStored(endMs, state) });
  }

  putAlert(gatewayId: string, seq: number, receivedAtMs: number, bytes: Uint8Array): void {
    const key = `${sortableKey(receivedAtMs)}/${gatewayId}/${sortableKey(seq)}`;
    this.operations.push({ type: 'put', sublevel: this.parts.alerts, key, value: Buffer.from(bytes) });
  }

  archive(e: { gatewayId: string; incarnation: string; seq: number; topic: string; receivedAtMs: number; bytes: Uint8Array }): void {
    const sublevel = this.parts.archive;
    if (!sublevel) return;
    this.operations.push({
      type: 'put',
      sublevel,
      key: archiveKey(e.receivedAtMs, e.gatewayId, e.incarnation, e.seq),
      value: encodeArchived(e.topic, e.bytes),
    });
  }

  deadLetter(letter: DeadLetter): void {
    this.operations.push(...(this.parts.quarantine.deadLetterOperations(letter) as Put[]));
  }

  async listMetricNames(names: readonly string[]): Promise<void> {
    const { operations, listed } = this.parts.names.toList(names);
    this.operations.push(...(operations as Put[]));
    this.newNames.push(...listed);
  }

  announce<K extends keyof LiveEvents>(event: K, payload: LiveEvents[K][0]): void {
    this.announced.push([event, payload]);
  }

  /** After the batch is on disk: names listed in it are known from now on. */
  committed(): void {
    this.parts.names.committed(this.newNames);
  }
}
