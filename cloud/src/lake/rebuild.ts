import type { CloudConfig } from '../config/cloud-config.js';
import { openCloudStore } from '../store/open-cloud-store.js';

export interface RebuildReport {
  readonly envelopes: number;
  readonly merged: number;
  /** Envelopes the replay did not merge (a duplicate within the archive, or no longer readable). */
  readonly notMerged: number;
  readonly archiveFromMs: number | null;
  readonly elapsedMs: number;
}

/**
 * Recomputes windows, hours and days, the gateways' figures and the dedup records from the
 * archive: clear, then replay every archived envelope in the order it arrived, through the
 * same merge as the intake. The cloud must be stopped: the level store is locked by a running
 * cloud, and on PostgreSQL a node seen alive in the last heartbeats stops the rebuild.
 *
 * Rollups older than the archive would be lost; without `force` the rebuild refuses then.
 */
export async function rebuildFromArchive(config: CloudConfig, options: { force: boolean }): Promise<RebuildReport> {
  const startedMs = Date.now();
  const store = await openCloudStore(config).catch((error: Error) => {
    throw new Error(
      /lock/i.test(error.message)
        ? `the store at ${config.dataDir} is open in a running cloud: stop it first (${error.message})`
        : error.message,
    );
  });
  try {
    if (!store.archive.enabled) throw new Error('retention.archiveDays was 0, expected an archive to rebuild from (no archive is kept)');
    // A level store is this process's alone (its lock says so); PostgreSQL's nodes say whether they are alive.
    const alive = store.kind === 'postgres' ? (await store.cluster.nodes()).filter((n) => n.state === 'up') : [];
    if (alive.length > 0)
      throw new Error(`cloud nodes are running on this store (${alive.map((n) => n.nodeId).join(', ')}): stop every node first`);
    const archiveFromMs = (await store.archive.oldestMs()) ?? null;
    if (!options.force) {
      const cutoff = archiveFromMs ?? Number.MAX_SAFE_INTEGER;
      for await (const older of store.series.scan('day', 0, cutoff - (cutoff % 86_400_000))) {
        throw new Error(
          `rollups from ${new Date(older.startMs).toISOString().slice(0, 10)} are older than the archive (which starts ${archiveFromMs === null ? 'nowhere: it is empty' : new Date(archiveFromMs).toISOString()}); a rebuild would lose them. Pass --force to rebuild anyway`,
        );
      }
    }
    await store.archive.clearDerived();
    let envelopes = 0;
    let merged = 0;
    for await (const e of store.archive.scan(0, Number.MAX_SAFE_INTEGER)) {
      envelopes++;
      if ((await store.partitions.replay(e.topic, e.bytes, e.receivedAtMs)) === 'merged') merged++;
    }
    return { envelopes, merged, notMerged: envelopes - merged, archiveFromMs, elapsedMs: Date.now() - startedMs };
  } finally {
    await store.close();
  }
}
