import type { DeviceEntry, FleetGrouping } from './cloud-store.js';

/** The group a device's windows count towards; devices no registry knows group as 'unknown'. */
export function groupKeyOf(grouping: FleetGrouping, deviceId: string, device: DeviceEntry | undefined): string {
  switch (grouping.by) {
    case 'fleet':
      return 'fleet';
    case 'device':
      return deviceId;
    case 'gateway':
      return device?.gatewayId ?? 'unknown';
    case 'label':
      return device?.labels[grouping.label] ?? 'unknown';
  }
}

/** The API's groupBy parameter: fleet, device, gateway or label:<name>. */
export function fleetGroupingOf(groupBy: string): FleetGrouping {
  if (groupBy === 'fleet' || groupBy === 'device' || groupBy === 'gateway') return { by: groupBy };
  return { by: 'label', label: groupBy.startsWith('label:') ? groupBy.slice(6) : groupBy };
}
