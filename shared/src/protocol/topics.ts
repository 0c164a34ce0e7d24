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

/**
 * Parses `telemetry/{id}`, `telemetry/{id}/{metric}`, `events/{id}`, `commands/{id}`; undefined
 * otherwise. It runs for every publish a gateway receives: found by scanning for the slashes,
 * without splitting the topic into an array.
 */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const first = topic.indexOf('/');
  if (first <= 0) return undefined;
  const second = topic.indexOf('/', first + 1);
  const deviceId = topic.slice(first + 1, second === -1 ? undefined : second);
  if (!deviceId) return undefined;
  const root = topic.slice(0, first);
  if (second === -1) {
    if (root === 'telemetry' || root === 'events' || root === 'commands') return { kind: root, deviceId };
    return undefined;
  }
  if (root !== 'telemetry' || topic.indexOf('/', second + 1) !== -1) return undefined;
  const metric = topic.slice(second + 1);
  return metric ? { kind: 'telemetry', deviceId, metric } : undefined;
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
