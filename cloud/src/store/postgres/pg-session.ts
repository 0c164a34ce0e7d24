import type { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ClusterCoordinator, ClusterNode, LiveEvents } from '../cloud-store.js';
import { lockKeys } from './pg-migrations.js';

export const liveChannel = 'fogline_live';
/** NOTIFY carries at most 8000 bytes; a larger alert is announced by its identity only. */
const notifyBytesMax = 7900;

export function livePayload<K extends keyof LiveEvents>(event: K, payload: LiveEvents[K][0]): string {
  const text = JSON.stringify({ event, payload });
  if (Buffer.byteLength(text) <= notifyBytesMax) return text;
  const { gatewayId, seq } = payload as { gatewayId?: unknown; seq?: unknown };
  return JSON.stringify({ event, payload: { gatewayId, seq, truncated: true } });
}

/** How often a node writes its heartbeat and, if it does not lead, tries to take the lead. */
export const heartbeatMs = 2000;
/** A node whose heartbeat is older than this is shown as down. */
export const nodeDownAfterMs = 3 * heartbeatMs;

/**
 * This node's own session with PostgreSQL, outside the pool: it LISTENs for what the other
 * nodes commit (relayed to the live dashboards), and holds the cluster's leader lock (a
 * session advisory lock) while it leads. If the session breaks, the lock goes with it, another
 * node takes the lead at its next heartbeat, and this one reconnects and LISTENs again.
 */
export class PgSession implements ClusterCoordinator {
  private session?: pg.Client;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly startedAtMs = Date.now();
  private detail: () => Record<string, unknown> = () => ({});

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly pool: pg.Pool,
    readonly nodeId: string,
    private readonly live: EventEmitter<LiveEvents>,
    private readonly logger?: Logger,
  ) {}

  async start(detail: () => Record<string, unknown>): Promise<void> {
    this.detail = detail;
    await this.beat();
    this.timer = setInterval(() => void this.beat(), heartbeatMs);
  }

  /** Listening alone (a store opened without joining the cluster's jobs, as tests and tools do). */
  async listen(): Promise<void> {
    await this.connect();
  }

  isLeader(): boolean {
    return this.leading;
  }

  private async connect(): Promise<pg.Client> {
    if (this.session) return this.session;
    const session = new pg.Client(this.connection);
    session.on('error', (error) => {
      this.logger?.warn({ error: error.message }, 'cluster session with PostgreSQL lost; the lead is released');
      this.drop(session);
    });
    session.on('end', () => this.drop(session));
    session.on('notification', (message) => {
      if (message.channel !== liveChannel || !message.payload) return;
      const { event, payload } = JSON.parse(message.payload) as { event: keyof LiveEvents; payload: never };
      this.live.emit(event, payload);
    });
    try {
      await session.connect();
      await session.query(`LISTEN ${liveChannel}`);
    } catch (error) {
      await session.end().catch(() => {});
      throw error;
    }
    this.session = session;
    return session;
  }

  private drop(session: pg.Client): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.leading = false;
    session.end().catch(() => {});
  }

  /** The heartbeat under way, if any: stop() waits for it, so that it cannot write after the last word. */
  private beating?: Promise<void>;

  /** One at a time: a beat waiting on an unreachable database must not start another session beside it. */
  private beat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.beating ??= this.beatOnce().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    try {
      const session = await this.connect();
      // Stopped meanwhile: taking the lock or writing the heartbeat now would outlive the stop.
      if (this.stopped) return;
      if (!this.leading) {
        const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [lockKeys.leader]);
        this.leading = rows[0].locked;
        if (this.leading) this.logger?.info({ node: this.nodeId }, 'this node now leads the scheduled jobs');
      }
      await this.pool.query(
        `INSERT INTO cluster_nodes (node_id, host, pid, started_ms, heartbeat_ms, leader, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (node_id) DO UPDATE SET host = $2, pid = $3, started_ms = $4, heartbeat_ms = $5, leader = $6, detail = $7`,
        [this.nodeId, hostname(), process.pid, this.startedAtMs, Date.now(), this.leading, JSON.stringify(this.detail())],
      );
    } catch (error) {
      this.logger?.warn({ error: (error as Error).message }, 'cluster heartbeat failed');
    }
  }

  async nodes(): Promise<ClusterNode[]> {
    const { rows } = await this.pool.query(
      'SELECT node_id, host, pid, started_ms::float8 AS started, heartbeat_ms::float8 AS heartbeat, leader, detail FROM cluster_nodes ORDER BY node_id',
    );
    const now = Date.now();
    return rows.map((row) => {
      const up = now - row.heartbeat <= nodeDownAfterMs;
      return {
        nodeId: row.node_id,
        host: row.host,
        pid: row.pid,
        startedAtMs: row.started,
        heartbeatAtMs: row.heartbeat,
        state: up ? 'up' : 'down',
        leader: up && row.leader,
        detail: JSON.parse(row.detail),
      };
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    // A heartbeat under way finishes first: otherwise it could take the lead or write "up" after
    // the row below says this node is down.
    await this.beating;
    const session = this.session;
    this.session = undefined;
    this.leading = false;
    // Twice: a pooled connection may have just been cut (the pool replaces it on the next query).
    const markDown = () => this.pool.query('UPDATE cluster_nodes SET heartbeat_ms = 0, leader = false WHERE node_id = $1', [this.nodeId]);
    await markDown().catch(() => markDown().catch(() => {}));
    await session?.end().catch(() => {});
  }
}
