import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { binarySublevel } from '@fogline/shared';
import { Level } from 'level';
import { AlertRecordIntake } from '../alert-intake.js';
import type { CloudStore, IntakeEvents, LiveEvents } from '../cloud-store.js';
import { EnvelopeIntake } from '../partition-merge.js';
import { SingleNode } from '../single-node.js';
import { LevelArchive } from './level-archive.js';
import { LevelCommandStore } from './level-command-store.js';
import { LevelDedupLedger } from './level-dedup-ledger.js';
import { LevelMergeBackend } from './level-merge-backend.js';
import { LevelMetricNames } from './level-metric-names.js';
import { LevelModelStore } from './level-model-store.js';
import { LevelQuarantine } from './level-quarantine.js';
import { LevelRegistryStore } from './level-registry-store.js';
import { LevelSeriesStore } from './level-series-store.js';

/**
 * The embedded backend: one LevelDB folder, opened by one process (so `npm start` needs no
 * service). Its sublevels keep the names of earlier versions, so an existing store opens as
 * it was.
 */
export async function openLevelCloudStore(
  dataDir: string,
  durability: 'process' | 'power',
  nodeId: string,
  keepArchive = true,
): Promise<CloudStore> {
  mkdirSync(dataDir, { recursive: true });
  const db = new Level<string, Uint8Array>(join(dataDir, 'cloud.db'), { valueEncoding: 'view' });
  await db.open();
  const sub = (name: string) => binarySublevel(db, name);
  const sync = durability === 'power';
  const events = new EventEmitter<IntakeEvents>();
  const live = new EventEmitter<LiveEvents>();
  const states = { window: sub('series'), hour: sub('hours'), day: sub('days') };
  const gateways = sub('gateways');
  const names = new LevelMetricNames(sub('metric-names'));
  const quarantine = new LevelQuarantine(db, sub('dead'), sub('kept'), sync);
  const dedup = new LevelDedupLedger(sub('dedup'));
  const registry = new LevelRegistryStore(gateways, sub('status'), sub('registry'));
  const series = new LevelSeriesStore(states, names, registry);
  await quarantine.init(sub('newer'));
  await dedup.migrateLegacy(sub('seen'));
  await names.load(() => series.deviceMetricsInDays());
  const alerts = sub('alerts');
  const alertStates = sub('alert-states');
  const archived = sub('archive');
  const archive = new LevelArchive(keepArchive, archived, [states.window, states.hour, states.day, gateways, dedup.sublevel]);
  const backend = new LevelMergeBackend(
    db,
    { states, gateways, alerts, dedup, names, quarantine, archive: keepArchive ? archived : undefined },
    live,
    sync,
  );
  const aside = { keepNewer: quarantine.keepNewer.bind(quarantine), reject: quarantine.reject.bind(quarantine) };
  const alertIntake = new AlertRecordIntake(backend, aside);
  return {
    kind: 'level',
    partitions: new EnvelopeIntake(backend, aside, events),
    alerts: {
      apply: alertIntake.apply.bind(alertIntake),
      list: async (limit) => (await alerts.values({ reverse: true, limit }).all()).map((v) => JSON.parse(Buffer.from(v).toString('utf8'))),
      setState: (alertId, state) => alertStates.put(alertId, Buffer.from(JSON.stringify(state)), { sync } as never),
      states: async (alertIds) => {
        const values = await alertStates.getMany([...alertIds]);
        return new Map(
          alertIds.flatMap((id, i) =>
            values[i] === undefined ? [] : [[id, JSON.parse(Buffer.from(values[i] as Uint8Array).toString('utf8'))]],
          ),
        );
      },
    },
    series,
    registry,
    models: new LevelModelStore(sub('models'), sub('rankings'), live),
    quarantine,
    cluster: new SingleNode(nodeId),
    archive,
    commands: new LevelCommandStore(sub('commands'), sub('commands-by-device'), sub('commands-queued'), sync),
    events,
    live,
    async close() {
      await backend.drain();
      await db.close();
    },
  };
}
