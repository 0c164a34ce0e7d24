/** The shapes of the /api/v1 answers the dashboard reads (the cloud's own types, restated for the browser). */

export interface Overview {
  atMs: number;
  gateways: { total: number; online: number };
  devices: { registered: number; connected: number };
  readings: { total: number; perSecond: number; latestWindowEndMs: number };
  bandwidth: { bytesFromDevices: number; bytesForwarded: number; savedRatio: number | null };
  risk: { scoredAtMs: number; devicesScored: number; devicesAlerting: number };
}

export interface Figures {
  count: number;
  sum: number;
  mean: number;
  min: number;
  max: number;
  stddev: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface SeriesPoint extends Figures {
  windowStartMs: number;
  windowEndMs: number;
}

/** What an answer over a time range really covers: the resolution read, and whether retention cut its start. */
export interface Coverage {
  resolution: 'window' | 'hour' | 'day';
  fromMs: number;
  toMs: number;
  retainedFromMs: number;
  partial: boolean;
}

export interface Fleet {
  metric: string;
  groupBy: string;
  coverage: Coverage;
  groups: Record<string, Figures & { quantiles: [number, number | null][] }>;
}

export interface DeviceRisk {
  deviceId: string;
  kind: string;
  risk: number;
  alert: boolean;
  hourMs: number;
  drivers: { feature: string; contribution: number; value: number }[];
}

export interface Alert {
  id?: string;
  gatewayId: string;
  deviceId: string;
  metric: string;
  rule: string;
  severity?: string;
  value?: number;
  ts: number;
  message?: string;
  /** Where it stands: open until acknowledged, then resolved (absent on a live alert: open). */
  state?: { status: 'open' | 'acknowledged' | 'resolved'; by?: string | null; note?: string | null };
}

export interface Device {
  deviceId: string;
  gatewayId: string;
  labels: Record<string, string>;
}
