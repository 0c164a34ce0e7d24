import type pg from 'pg';
import type { ArchivedEnvelope, EnvelopeArchive } from '../cloud-store.js';

/** Envelopes fetched per round trip of a scan: the scan's memory is this many envelopes, whatever the range. */
export const archiveScanBatchRows = 1000;

/** The archive on PostgreSQL: a table written in each merge's transaction, read by keyset pages. */
export class PgArchive implements EnvelopeArchive {
  constructor(
    readonly enabled: boolean,
    private readonly pool: pg.Pool,
  ) {}

  async *scan(fromMs: number, toMs: number): AsyncGenerator<ArchivedEnvelope> {
    let after: [number, number] = [fromMs - 1, Number.MAX_SAFE_INTEGER];
    for (;;) {
      const { rows } = await this.pool.query<{ received_ms: string; id: string; topic: string; bytes: Buffer }>(
        `SELECT received_ms, id, topic, bytes FROM archive
         WHERE (received_ms, id) > ($1, $2) AND received_ms < $3 ORDER BY received_ms, id LIMIT $4`,
        [after[0], after[1], toMs, archiveScanBatchRows],
      );
      for (const row of rows) yield { receivedAtMs: Number(row.received_ms), topic: row.topic, bytes: new Uint8Array(row.bytes) };
      if (rows.length < archiveScanBatchRows) return;
      const last = rows[rows.length - 1]!;
      after = [Number(last.received_ms), Number(last.id)];
    }
  }

  async oldestMs(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ oldest: string | null }>('SELECT min(received_ms) AS oldest FROM archive');
    return rows[0]?.oldest === null || rows[0]?.oldest === undefined ? undefined : Number(rows[0].oldest);
  }

  async applyRetention(cutoffMs: number): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM archive WHERE received_ms < $1', [cutoffMs]);
    return rowCount ?? 0;
  }

  async clearDerived(): Promise<void> {
    await this.pool.query('TRUNCATE states_window, states_hour, states_day, seen_seqs, gateways');
  }
}
