import { BoundedRecordStore, type Sublevel } from '@fogline/shared';
import type { Level } from 'level';
import { Packr } from 'msgpackr';
import { deadEnvelopesMax, keptMessagesMax, type Quarantine } from '../cloud-store.js';
import type { DeadLetter } from '../merge-transaction.js';

const packr = new Packr({ useRecords: false });

interface Kept {
  topic: string;
  reason: string;
  bytes: Uint8Array;
  parked?: boolean;
}

/**
 * What the intake keeps aside: unreadable messages as dead letters (their first bytes and the
 * reason), and whole messages for later (a newer format, or parked after failing again and
 * again). Both bounded; the oldest go first, counted.
 */
export class LevelQuarantine implements Quarantine {
  private readonly dead: BoundedRecordStore<{ topic: string; reason: string; receivedAtMs: number; head: Buffer }>;
  private readonly kept: BoundedRecordStore<Kept>;

  constructor(
    private readonly db: Level<string, Uint8Array>,
    dead: Sublevel,
    kept: Sublevel,
    private readonly sync: boolean,
  ) {
    this.dead = new BoundedRecordStore(dead, deadEnvelopesMax);
    this.kept = new BoundedRecordStore(kept, keptMessagesMax);
  }

  /** Reads the stores' sizes; messages kept by an older cloud (keyed by time, unbounded) join the bounded store. */
  async init(legacyKept?: Sublevel): Promise<void> {
    await this.dead.init();
    await this.kept.init();
    if (!legacyKept) return;
    const operations = [];
    for await (const value of legacyKept.values()) operations.push(...this.kept.append(packr.unpack(value) as Kept));
    if (operations.length === 0) return;
    await this.db.batch(operations as never);
    await legacyKept.clear();
  }

  deadLetterOperations(letter: DeadLetter) {
    return this.dead.append({ ...letter, head: Buffer.from(letter.head) });
  }

  async park(topic: string, reason: string, bytes: Uint8Array): Promise<void> {
    await this.db.batch(this.kept.append({ topic, reason, bytes: Buffer.from(bytes), parked: true }) as never, { sync: this.sync });
  }

  async keepNewer(topic: string, reason: string, bytes: Uint8Array): Promise<void> {
    await this.db.batch(this.kept.append({ topic, reason, bytes: Buffer.from(bytes) }) as never, { sync: this.sync });
  }

  reject(topic: string, reason: string, bytes: Uint8Array, receivedAtMs = Date.now()): Promise<void> {
    const operations = this.deadLetterOperations({ topic, reason, receivedAtMs, head: bytes.subarray(0, 256) });
    return this.db.batch(operations as never, { sync: this.sync });
  }

  deadLetters(): Promise<{ topic: string; reason: string }[]> {
    return this.dead.all();
  }

  keptNewer(): Promise<{ topic: string; reason: string; parked?: boolean }[]> {
    return this.kept.all();
  }

  get dropped(): number {
    return this.dead.dropped + this.kept.dropped;
  }
}
