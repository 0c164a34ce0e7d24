/**
 * Topic names of the wire contract (../shared/DESIGN.md): what devices publish to a gateway,
 * and what a gateway publishes to the cloud. Builders and parsers live together so both
 * sides agree by construction.
 */

/** A device's topic, parsed: telemetry with or without a metric level, events, or commands. */
export type DeviceTopic =
  | { readonly kind: 'telemetry'; readonly deviceId: string; readonly metric?: string }
  | { readonly kind: 'events'; readonly deviceId: string }
  | { readonly kind: 'commands'; readonly deviceId: string };

/** Parses `telemetry/{id}`, `telemetry/{id}/{metric}`, `events/{id}`, `commands/{id}`; undefined otherwise. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const levels = topic.split('/');
  const [root, deviceId, metric] = levels;
  if (!deviceId) return undefined;
  if (root === 'telemetry' && levels.length === 2) return { kind: 'telemetry', deviceId };
  if (root === 'telemetry' && levels.length === 3 && metric) return { kind: 'telemetry', deviceId, metric };
  if (root === 'events' && levels.length === 2) return { kind: 'events', deviceId };
  if (root === 'commands' && levels.length === 2) return { kind: 'commands', deviceId };
  return undefined;
}

export const deviceTopics = {
  telemetry: (deviceId: string, metric?: string) => (metric ? `telemetry/${deviceId}/${metric}` : `telemetry/${deviceId}`),
  events: (deviceId: string) => `events/${deviceId}`,
  commands: (deviceId: string) => `commands/${deviceId}`,
  /** Where a device answers a command: {"id": ..., "status": "ok" | "failed", "detail": ...}. */
  commandAck: (deviceId: string) => `commands/${deviceId}/ack`,
};

/** Gateway-to-cloud topics, versioned so a new format can live beside the old. */
export const cloudTopics = {
  partition: (gatewayId: string, p: number) => `fogline/v1/${gatewayId}/partitions/${p}`,
  alerts: (gatewayId: string) => `fogline/v1/${gatewayId}/alerts`,
  status: (gatewayId: string) => `fogline/v1/${gatewayId}/status`,
  /** Retained: the gateway's device registry, deviceId -> labels (site, model, ...). */
  devices: (gatewayId: string) => `fogline/v1/${gatewayId}/devices`,
  /** Commands for the gateway's devices, from the cloud. */
  commands: (gatewayId: string) => `fogline/v1/${gatewayId}/commands`,
  /** Each step of a command, from the gateway. */
  commandStatus: (gatewayId: string) => `fogline/v1/${gatewayId}/command-status`,
  /** What a cloud subscribes to, for every gateway. */
  allPartitions: 'fogline/v1/+/partitions/+',
  allAlerts: 'fogline/v1/+/alerts',
  allStatus: 'fogline/v1/+/status',
  allCommandStatus: 'fogline/v1/+/command-status',
};
