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
 * Readings of envelopes the archive no longer holds would be lost; without `force` the
 * rebuild refuses then.
 */
export async function rebuildFromArchive(config: CloudConfig, options: { force: boolean }): Promise<RebuildReport> {
  const startedMs = Date.now();
  const store = await openCloudStore(config).catch((error: Error & { cause?: { code?: string } }) => {
    if (error.cause?.code === 'LEVEL_LOCKED') throw new Error(`the store at ${config.dataDir} is open in a running cloud: stop it first`);
    throw error;
  });
  try {
    if (!store.archive.enabled) throw new Error('retention.archiveDays was 0, expected an archive to rebuild from (no archive is kept)');
    // A level store is this process's alone (its lock says so); PostgreSQL's nodes say whether they are alive.
    const alive = store.kind === 'postgres' ? (await store.cluster.nodes()).filter((n) => n.state === 'up') : [];
    if (alive.length > 0)
      throw new Error(`cloud nodes are running on this store (${alive.map((n) => n.nodeId).join(', ')}): stop every node first`);
    const archiveFromMs = (await store.archive.oldestMs()) ?? null;
    // Every envelope ever merged is counted in its gateway's figures: any the archive lacks
    // (past retention.archiveDays, or merged before the archive was kept) would be lost.
    const mergedEver = (await store.registry.gatewayList()).reduce((n, g) => n + g.envelopes, 0);
    let archived = 0;
    for await (const _ of store.archive.scan(0, Number.MAX_SAFE_INTEGER)) archived++;
    if (archived < mergedEver && !options.force) {
      throw new Error(
        `${mergedEver - archived} of the ${mergedEver} envelopes merged are not in the archive (older than retention.archiveDays, or merged before it was kept); a rebuild would lose their readings. Pass --force to rebuild anyway`,
      );
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
