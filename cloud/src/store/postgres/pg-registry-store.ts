import type pg from 'pg';
import { type DeviceEntry, type GatewayStats, type ModelStore, newGatewayStats, type RegistryStore } from '../cloud-store.js';
import { liveChannel, livePayload } from './pg-session.js';

/** Gateways (intake stats, status records) and their devices' registries, in PostgreSQL. */
export class PgRegistryStore implements RegistryStore {
  constructor(private readonly pool: pg.Pool) {}

  async gatewayList(): Promise<GatewayStats[]> {
    const { rows } = await this.pool.query<{ gateway_id: string; stats: string | null }>(
      `SELECT coalesce(g.gateway_id, s.gateway_id) AS gateway_id, g.stats
       FROM gateways g FULL JOIN gateway_status s ON s.gateway_id = g.gateway_id ORDER BY 1`,
    );
    // A gateway row without stats was locked by an alert before any partition arrived.
    return rows.map((row) => (row.stats ? JSON.parse(row.stats) : newGatewayStats(row.gateway_id)));
  }

  async putStatus(gatewayId: string, status: Record<string, unknown>): Promise<void> {
    await this.pool.query(
      'INSERT INTO gateway_status (gateway_id, status) VALUES ($1, $2) ON CONFLICT (gateway_id) DO UPDATE SET status = EXCLUDED.status',
      [gatewayId, JSON.stringify(status)],
    );
  }

  async statusOf(gatewayId: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.pool.query<{ status: string }>('SELECT status FROM gateway_status WHERE gateway_id = $1', [gatewayId]);
    return rows[0] ? JSON.parse(rows[0].status) : undefined;
  }

  async putDevices(gatewayId: string, devices: Record<string, Record<string, string>>): Promise<void> {
    const entries = Object.entries(devices);
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO devices (device_id, gateway_id, labels) SELECT d, $1, l::jsonb FROM unnest($2::text[], $3::text[]) AS u(d, l)
       ON CONFLICT (device_id) DO UPDATE SET gateway_id = EXCLUDED.gateway_id, labels = EXCLUDED.labels`,
      [gatewayId, entries.map(([deviceId]) => deviceId), entries.map(([, labels]) => JSON.stringify(labels))],
    );
  }

  async deviceOf(deviceId: string): Promise<DeviceEntry | undefined> {
    const { rows } = await this.pool.query('SELECT gateway_id, labels FROM devices WHERE device_id = $1', [deviceId]);
    return rows[0] ? { gatewayId: rows[0].gateway_id, labels: rows[0].labels } : undefined;
  }

  async deviceCount(): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM devices');
    return rows[0].count;
  }

  async devices(): Promise<Map<string, DeviceEntry>> {
    const { rows } = await this.pool.query('SELECT device_id, gateway_id, labels FROM devices');
    return new Map(rows.map((row) => [row.device_id, { gatewayId: row.gateway_id, labels: row.labels }]));
  }
}

/** Maintenance models and the latest risk ranking (announced to every node), in PostgreSQL. */
export class PgModelStore implements ModelStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(kind: string, model: unknown): Promise<void> {
    await this.pool.query('INSERT INTO models (kind, model) VALUES ($1, $2) ON CONFLICT (kind) DO UPDATE SET model = EXCLUDED.model', [
      kind,
      JSON.stringify(model),
    ]);
  }

  async list<T>(): Promise<T[]> {
    return (await this.pool.query<{ model: string }>('SELECT model FROM models ORDER BY kind')).rows.map(
      (row) => JSON.parse(row.model) as T,
    );
  }

  async putRanking(ranking: { scoredAtMs: number; devices: unknown[] }): Promise<void> {
    // Stored and announced in one statement: every node reloads it once it is committed.
    await this.pool.query(
      `WITH stored AS (
         INSERT INTO rankings (id, scored_ms, ranking) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET scored_ms = $1, ranking = $2)
       SELECT pg_notify($3, $4)`,
      [ranking.scoredAtMs, JSON.stringify(ranking), liveChannel, livePayload('risk', { scoredAtMs: ranking.scoredAtMs })],
    );
  }

  async ranking<T>(): Promise<{ scoredAtMs: number; devices: T[] } | undefined> {
    const { rows } = await this.pool.query<{ ranking: string }>('SELECT ranking FROM rankings WHERE id = 1');
    return rows[0] ? JSON.parse(rows[0].ranking) : undefined;
  }
}
