import type pg from 'pg';
import type { CommandStore, StoredCommand } from '../cloud-store.js';

/** Commands in PostgreSQL: the record as JSON, with the columns its queries need. */
export class PgCommandStore implements CommandStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(c: StoredCommand): Promise<void> {
    await this.pool.query(
      `INSERT INTO commands (id, device_id, gateway_id, created_ms, expires_ms, status, body) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET status = $6, body = $7`,
      [c.id, c.deviceId, c.gatewayId, c.createdAtMs, c.expiresAtMs, c.status, JSON.stringify(c)],
    );
  }

  async get(id: string): Promise<StoredCommand | undefined> {
    const { rows } = await this.pool.query<{ body: string }>('SELECT body FROM commands WHERE id = $1', [id]);
    return rows[0] && (JSON.parse(rows[0].body) as StoredCommand);
  }

  async ofDevice(deviceId: string, limit: number): Promise<StoredCommand[]> {
    const { rows } = await this.pool.query<{ body: string }>(
      'SELECT body FROM commands WHERE device_id = $1 ORDER BY created_ms DESC LIMIT $2',
      [deviceId, limit],
    );
    return rows.map((row) => JSON.parse(row.body) as StoredCommand);
  }

  async pendingFor(gatewayId: string, nowMs: number): Promise<StoredCommand[]> {
    const { rows } = await this.pool.query<{ body: string }>(
      `SELECT body FROM commands WHERE gateway_id = $1 AND status = 'queued' AND expires_ms > $2 ORDER BY created_ms`,
      [gatewayId, nowMs],
    );
    return rows.map((row) => JSON.parse(row.body) as StoredCommand);
  }
}
