import type { BoundedRecordStore, CredentialStore } from '@fogline/shared';
import type { DevicePresence } from '../broker/device-presence.js';
import { integerParam, type OpsRoute } from './ops-server.js';

/** Records one page of /dead-letters or /late holds, at most. */
export const opsPageRecordsMax = 1000;

/**
 * The ops port's routes for `fogline-gateway devices list --connected`, `dead-letters` and
 * `late`: the CLI cannot open the data folder while the gateway holds it, so it asks the
 * running gateway.
 *
 *   GET /devices?connected=1           every credentialed device with its labels, connected or not, last seen
 *   GET /dead-letters?after=<id>&limit=   the newest (or those after id), oldest first, with their ids
 *   GET /late?after=<id>&limit=
 *   GET /sparkplug                     Sparkplug B edge nodes and their devices, online or not, seq gaps
 *   GET /jobs                          the gateway job: its reduction's lineage (toDebugString), its
 *                                      recent micro-batches and engine jobs with their stages (a small
 *                                      counterpart of the Spark UI's jobs page)
 */
export function operatorRoutes(
  credentials: CredentialStore,
  presence: DevicePresence,
  deadLetters: BoundedRecordStore<unknown>,
  lateReadings: BoundedRecordStore<unknown>,
  sparkplugNodes: () => unknown[] = () => [],
  jobs: () => unknown = () => ({}),
): Record<string, OpsRoute> {
  const page = (store: BoundedRecordStore<unknown>) => async (query: URLSearchParams) => {
    const records = await store.page(integerParam(query, 'after', undefined), integerParam(query, 'limit', 100, opsPageRecordsMax));
    return { held: store.size, dropped: store.dropped, records: records.map(({ id, record }) => ({ id, ...(record as object) })) };
  };
  return {
    '/devices': (query) => {
      const connectedOnly = ['1', 'true'].includes(query.get('connected') ?? '');
      const seen = new Map(presence.list().map((entry) => [entry.clientId, entry]));
      const known = credentials.list().map(({ deviceId, labels }) => ({ deviceId, labels, ...presenceOf(seen.get(deviceId)) }));
      // Devices without credentials (allowAnonymous) are known only by their presence.
      const anonymous = [...seen.values()]
        .filter((entry) => credentials.labels(entry.clientId) === undefined)
        .map((entry) => ({ deviceId: entry.clientId, labels: {}, ...presenceOf(entry) }));
      const devices = [...known, ...anonymous].filter((d) => !connectedOnly || d.connected);
      return { devices: devices.sort((a, b) => a.deviceId.localeCompare(b.deviceId)), presenceForgotten: presence.forgotten };
    },
    '/dead-letters': page(deadLetters),
    '/late': page(lateReadings),
    '/sparkplug': () => ({ nodes: sparkplugNodes() }),
    '/jobs': () => jobs(),
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function presenceOf(entry: { connected: boolean; connectedAtMs: number; lastSeenMs: number } | undefined) {
  return { connected: entry?.connected ?? false, connectedAt: iso(entry?.connectedAtMs), lastSeen: iso(entry?.lastSeenMs) };
}
