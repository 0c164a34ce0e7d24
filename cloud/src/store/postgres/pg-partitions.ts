import type pg from 'pg';
import type { Resolution } from '../cloud-store.js';

const dayMs = 24 * 3_600_000;

/**
 * How much event time one partition of each resolution holds. Retention drops a partition once
 * all of it is past the cutoff, so data outlives its retention by up to one partition's span.
 */
export const partitionSpanMs: Record<Resolution, number> = { window: dayMs, hour: 7 * dayMs, day: 365 * dayMs };

export const statesTable = (resolution: Resolution) => `states_${resolution}`;

/** The partition holding `startMs`, named by where its range starts. */
export function partitionOf(resolution: Resolution, startMs: number): { name: string; fromMs: number; toMs: number } {
  const span = partitionSpanMs[resolution];
  const fromMs = Math.floor(startMs / span) * span;
  return { name: `${statesTable(resolution)}_${fromMs < 0 ? `m${-fromMs}` : fromMs}`, fromMs, toMs: fromMs + span };
}

/**
 * Creates the partitions states are about to be written to. Run inside the writing transaction
 * (DDL is transactional in PostgreSQL): run on another connection it would wait for this
 * transaction's own locks. Two nodes creating the same partition at once make one transaction
 * fail, and it is retried.
 */
export class PartitionMaker {
  private readonly known = new Set<string>();

  async ensure(client: pg.PoolClient, resolution: Resolution, startsMs: Iterable<number>): Promise<void> {
    for (const startMs of startsMs) {
      const { name, fromMs, toMs } = partitionOf(resolution, startMs);
      if (this.known.has(name)) continue;
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${statesTable(resolution)} FOR VALUES FROM (${fromMs}) TO (${toMs})`,
      );
      this.known.add(name);
    }
  }

  /** After a write found a partition gone (dropped by retention on another node). */
  forget(): void {
    this.known.clear();
  }

  /** Drops the partitions wholly older than each resolution's cutoff; returns how many went. */
  async dropOlderThan(pool: pg.Pool, nowMs: number, keepMs: Record<Resolution, number>): Promise<number> {
    let dropped = 0;
    for (const resolution of ['window', 'hour', 'day'] as const) {
      const cutoff = nowMs - keepMs[resolution];
      const { rows } = await pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = $1 AND p.relnamespace = c.relnamespace AND p.relnamespace = current_schema()::regnamespace`,
        [statesTable(resolution)],
      );
      for (const { name } of rows) {
        const from = name.slice(statesTable(resolution).length + 1);
        const fromMs = from.startsWith('m') ? -Number(from.slice(1)) : Number(from);
        if (fromMs + partitionSpanMs[resolution] > cutoff) continue;
        await pool.query(`DROP TABLE IF EXISTS ${name}`);
        this.known.delete(name);
        dropped++;
      }
    }
    return dropped;
  }
}
