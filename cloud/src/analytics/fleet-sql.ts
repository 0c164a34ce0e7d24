import { type RddContext, SqlContext, type TableSource } from '@fogline/shared';
import type { CloudStore } from '../store/cloud-store.js';
import { ArchiveTable } from './archive-table.js';
import { alertsTable, devicesTable, riskTable } from './registry-tables.js';
import { StateTable } from './state-table.js';

/** The fleet's tables for analysts, over whichever store backend the cloud runs on. */
export async function fleetTables(store: CloudStore): Promise<TableSource[]> {
  const devices = await store.registry.devices();
  // On PostgreSQL a bounded scan is cut into time slices read in parallel; level keys are device-first, one pass reads all.
  const rangeSplits = store.kind === 'postgres';
  return [
    new StateTable('windows', 'window', store.series, devices, rangeSplits),
    new StateTable('hours', 'hour', store.series, devices, rangeSplits),
    new StateTable('days', 'day', store.series, devices, rangeSplits),
    devicesTable(store, devices),
    alertsTable(store),
    riskTable(store),
    new ArchiveTable(store.archive),
  ];
}

/** A SqlContext with the fleet's tables registered: windows, hours, days, devices, alerts, risk, archive. */
export async function fleetSqlContext(store: CloudStore, rdd: RddContext): Promise<SqlContext> {
  const ctx = new SqlContext(rdd);
  for (const table of await fleetTables(store)) ctx.registerTable(table);
  return ctx;
}
