import {
  BooleanType,
  DoubleType,
  LongType,
  type RDD,
  type RddContext,
  type Row,
  ScanRDD,
  type ScanRequest,
  StringType,
  StructField,
  StructType,
  type TableSource,
  TimestampType,
} from '@fogline/shared';
import type { DeviceRisk } from '../maintenance/maintenance-service.js';
import type { CloudStore, DeviceEntry } from '../store/cloud-store.js';
import { labelColumns } from './state-table.js';

/** Alerts the alerts table reads, at most: the newest. */
export const alertsTableRowsMax = 100_000;

/**
 * A small table read whole when a query runs (one split): the device registry, the newest
 * alerts, the latest risk ranking. Its rows are objects; the scan keeps the requested columns.
 */
class LoadedTable implements TableSource {
  constructor(
    readonly name: string,
    readonly schema: StructType,
    private readonly load: () => Promise<Record<string, unknown>[]>,
  ) {}

  scan(request: ScanRequest, ctx: RddContext): RDD<Row> {
    const columns = request.columns;
    return new ScanRDD(ctx, `${this.name} table`, [0], async () => (await this.load()).map((o) => columns.map((c) => o[c] ?? null)));
  }
}

const field = (name: string, type = StringType) => new StructField(name, type);

/** `devices`: every device the gateways registered, its gateway and its labels as columns. */
export function devicesTable(store: CloudStore, devices: ReadonlyMap<string, DeviceEntry>): TableSource {
  const labels = labelColumns(devices, ['device_id', 'gateway_id']);
  const schema = new StructType([field('device_id'), field('gateway_id'), ...labels.map((l) => field(l.column))]);
  return new LoadedTable('devices', schema, async () => {
    const fresh = await store.registry.devices();
    return [...fresh].map(([deviceId, entry]) => {
      const row: Record<string, unknown> = { device_id: deviceId, gateway_id: entry.gatewayId };
      for (const l of labels) row[l.column] = entry.labels[l.key] ?? null;
      return row;
    });
  });
}

/** `alerts`: the newest alerts the gateways raised (at most alertsTableRowsMax). */
export function alertsTable(store: CloudStore): TableSource {
  const schema = new StructType([
    field('id'),
    field('gateway_id'),
    field('seq', LongType),
    field('rule'),
    field('kind'),
    field('severity'),
    field('device_id'),
    field('metric'),
    field('ts', TimestampType),
    field('value', DoubleType),
    field('message'),
  ]);
  return new LoadedTable('alerts', schema, async () =>
    (await store.alerts.list(alertsTableRowsMax)).map((a) => ({
      id: a.id,
      gateway_id: a.gatewayId,
      seq: a.seq,
      rule: a.rule,
      kind: a.kind,
      severity: a.severity,
      device_id: a.deviceId,
      metric: a.metric,
      ts: typeof a.ts === 'number' ? a.ts : null,
      value: typeof a.value === 'number' ? a.value : null,
      message: a.message,
    })),
  );
}

/** `risk`: the latest predictive-maintenance ranking, one row per device. */
export function riskTable(store: CloudStore): TableSource {
  const schema = new StructType([
    field('device_id'),
    field('kind'),
    field('risk', DoubleType),
    field('alert', BooleanType),
    field('hour', TimestampType),
    field('scored_at', TimestampType),
    field('top_driver'),
  ]);
  return new LoadedTable('risk', schema, async () => {
    const ranking = await store.models.ranking<DeviceRisk>();
    return (ranking?.devices ?? []).map((d) => ({
      device_id: d.deviceId,
      kind: d.kind,
      risk: d.risk,
      alert: d.alert,
      hour: d.hourMs,
      scored_at: ranking!.scoredAtMs,
      top_driver: d.drivers[0]?.feature ?? null,
    }));
  });
}
