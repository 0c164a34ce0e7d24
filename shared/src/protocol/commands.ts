/**
 * Commands down to devices: the cloud sends them to a device's gateway on
 * fogline/v1/{gatewayId}/commands, the gateway publishes them to the device on
 * commands/{deviceId} (QoS 1), the device answers on commands/{deviceId}/ack, and the gateway
 * reports each step up on fogline/v1/{gatewayId}/command-status.
 */
export interface DeviceCommand {
  /** Unique; a device or gateway that sees it twice acts once. */
  readonly id: string;
  readonly deviceId: string;
  /** What to do: service, reboot, or any name the device knows. */
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly createdAtMs: number;
  /** Not delivered by then: expired. */
  readonly expiresAtMs: number;
}

/**
 * queued (in the cloud, or waiting on the gateway for the device to connect), sent (published
 * to the device), delivered (its PUBACK), acknowledged (the device's answer), expired or failed.
 */
export type CommandStatus = 'queued' | 'sent' | 'delivered' | 'acknowledged' | 'expired' | 'failed';

export interface CommandStatusReport {
  readonly id: string;
  readonly deviceId: string;
  readonly status: CommandStatus;
  readonly atMs: number;
  /** Why it failed, or what the device said. */
  readonly detail?: string;
}

/** The order statuses move in: a report never takes a command back (a late "sent" after "delivered"). */
const rank: Readonly<Record<CommandStatus, number>> = { queued: 0, sent: 1, delivered: 2, acknowledged: 3, expired: 3, failed: 3 };

/** Whether a command in `current` moves to `reported`: only forward, and never out of a final status. */
export function commandMovesTo(current: CommandStatus, reported: CommandStatus): boolean {
  return rank[reported] > rank[current];
}

export const isFinalCommandStatus = (status: CommandStatus) => rank[status] === 3;
