import type pg from 'pg';
import { deadEnvelopesMax, keptMessagesMax, metricNamesMax, type Quarantine } from '../cloud-store.js';
import type { DeadLetter } from '../merge-transaction.js';

/**
 * What the intake keeps aside in PostgreSQL (dead letters, whole messages kept or parked), and
 * the metric names listed for the dashboard. Each is bounded: past its maximum the oldest rows
 * go (counted by the node that deleted them), or a name is merged but not listed (counted).
 */
export class PgKeeping implements Quarantine {
  private deletedRows = 0;
  private readonly listed = new Set<string>();
  unlistedNames = 0;

  constructor(private readonly pool: pg.Pool) {}

  get dropped(): number {
    return this.deletedRows;
  }

  async deadLetterIn(client: pg.PoolClient | pg.Pool, letter: DeadLetter): Promise<void> {
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO dead_letters (topic, reason, received_ms, head) VALUES ($1, $2, $3, $4) RETURNING id',
      [letter.topic, letter.reason, letter.receivedAtMs, Buffer.from(letter.head)],
    );
    const trimmed = await client.query('DELETE FROM dead_letters WHERE id <= $1', [Number(rows[0].id) - deadEnvelopesMax]);
    this.deletedRows += trimmed.rowCount ?? 0;
  }

  private async keep(topic: string, reason: string, bytes: Uint8Array, parked: boolean): Promise<void> {
    const { rows } = await this.pool.query<{ id: string }>(
      'INSERT INTO kept_messages (topic, reason, received_ms, bytes, parked) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [topic, reason, Date.now(), Buffer.from(bytes), parked],
    );
    const trimmed = await this.pool.query('DELETE FROM kept_messages WHERE id <= $1', [Number(rows[0].id) - keptMessagesMax]);
    this.deletedRows += trimmed.rowCount ?? 0;
  }

  park(topic: string, reason: string, bytes: Uint8Array): Promise<void> {
    return this.keep(topic, reason, bytes, true);
  }

  keepNewer(topic: string, reason: string, bytes: Uint8Array): Promise<void> {
    return this.keep(topic, reason, bytes, false);
  }

  reject(topic: string, reason: string, bytes: Uint8Array, receivedAtMs = Date.now()): Promise<void> {
    return this.deadLetterIn(this.pool, { topic, reason, receivedAtMs, head: bytes.subarray(0, 256) });
  }

  async deadLetters(): Promise<{ topic: string; reason: string }[]> {
    return (await this.pool.query('SELECT topic, reason, received_ms::float8 AS "receivedAtMs", head FROM dead_letters ORDER BY id')).rows;
  }

  async keptNewer(): Promise<{ topic: string; reason: string; parked?: boolean }[]> {
    return (await this.pool.query('SELECT topic, reason, parked, bytes FROM kept_messages ORDER BY id')).rows;
  }

  /** Lists names this node has not seen listed, while the list has room (checked in the same transaction); returns those it listed. */
  async listNamesIn(client: pg.PoolClient, names: readonly string[]): Promise<string[]> {
    const fresh = names.filter((name) => !this.listed.has(name));
    if (fresh.length === 0) return [];
    const { rows } = await client.query<{ count: number }>('SELECT count(*)::int AS count FROM metric_names');
    const room = Math.max(0, metricNamesMax - rows[0].count);
    await client.query('INSERT INTO metric_names (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [fresh.slice(0, room)]);
    this.unlistedNames += Math.max(0, fresh.length - room);
    return fresh.slice(0, room);
  }

  /** Once their transaction committed: names known to be listed (a rolled-back one lists them again next time). */
  noteListed(names: readonly string[]): void {
    for (const name of names) this.listed.add(name);
  }

  async metricNames(): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>('SELECT name FROM metric_names ORDER BY name LIMIT $1', [metricNamesMax]);
    for (const { name } of rows) this.listed.add(name);
    return rows.map((row) => row.name);
  }
}
