import type { MaintenanceService, RiskSummary } from '../maintenance/maintenance-service.js';
import type { RateMeter } from '../ops/rate-meter.js';
import type { CloudStore } from '../store/cloud-store.js';

/** The fleet at a glance: what the dashboard's overview shows, and GET /api/v1/overview returns. */
export interface Overview {
  readonly atMs: number;
  readonly gateways: { readonly total: number; readonly online: number };
  /** Registered: in a gateway's registry; connected: connected to a gateway's broker now. */
  readonly devices: { readonly registered: number; readonly connected: number };
  /**
   * Total: every reading the merged partitions summarise; perSecond: merged over the last minute;
   * latestWindowEndMs: how far the data reaches in event time (behind the wall clock while a
   * simulator replays history, or after an outage).
   */
  readonly readings: { readonly total: number; readonly perSecond: number; readonly latestWindowEndMs: number };
  /**
   * Bytes the gateways received from devices against the bytes they forwarded, as their status
   * records last said (since each gateway started); savedRatio = 1 - forwarded / received.
   */
  readonly bandwidth: { readonly bytesFromDevices: number; readonly bytesForwarded: number; readonly savedRatio: number | null };
  readonly risk: RiskSummary;
}

const numberOr0 = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export async function overviewOf(store: CloudStore, readingsRate: RateMeter, maintenance?: MaintenanceService): Promise<Overview> {
  const [gateways, registered] = await Promise.all([store.registry.gatewayList(), store.registry.deviceCount()]);
  const statuses = await Promise.all(gateways.map((g) => store.registry.statusOf(g.gatewayId)));
  const sum = (field: string) => statuses.reduce((total, status) => total + numberOr0(status?.[field]), 0);
  const bytesFromDevices = sum('bytesReceivedFromDevices');
  const bytesForwarded = sum('bytesForwarded');
  return {
    atMs: Date.now(),
    gateways: { total: gateways.length, online: statuses.filter((status) => status?.online === true).length },
    devices: { registered, connected: sum('connectedDevices') },
    readings: {
      total: gateways.reduce((total, g) => total + g.readings, 0),
      perSecond: readingsRate.perSecond(),
      latestWindowEndMs: gateways.reduce((latest, g) => Math.max(latest, g.latestWindowEndMs ?? 0), 0),
    },
    bandwidth: { bytesFromDevices, bytesForwarded, savedRatio: bytesFromDevices > 0 ? 1 - bytesForwarded / bytesFromDevices : null },
    risk: maintenance?.summary() ?? { scoredAtMs: 0, devicesScored: 0, devicesAlerting: 0 },
  };
}
