import { randomUUID } from 'node:crypto';
import { type CommandStatusReport, cloudTopics, commandMovesTo, type DeviceCommand, isFinalCommandStatus } from '@fogline/shared';
import type { Logger } from 'pino';
import type { CloudStore, StoredCommand } from '../store/cloud-store.js';

/** How long a command waits to be delivered when the caller does not say. */
export const commandExpiryMsDefault = 60 * 60_000;
/** The longest a command may wait. */
export const commandExpiryMsMax = 7 * 24 * 60 * 60_000;

/** How often a gateway online is sent its queued commands again, at most (it acts on an id once). */
export const commandResendIntervalMs = 60_000;

/** Publishes to the gateways' broker (the embedded one, or the external one a cluster shares). */
export type GatewayPublisher = (topic: string, payload: string) => Promise<void>;

/**
 * Commands down to devices, on the cloud's side: stored first (queued), then sent to the
 * device's gateway; sent again whenever the gateway says it is online while the command is
 * still queued (the gateway acts on an id once). The gateway reports each step, and a report
 * only ever moves a command forward. One still queued past its expiry reads as expired.
 */
export class CommandService {
  constructor(
    private readonly store: CloudStore,
    private readonly publish: () => GatewayPublisher | undefined,
    private readonly logger: Logger,
  ) {}

  /** Stores and sends a command; undefined when no gateway has the device in its registry. */
  async send(
    deviceId: string,
    name: string,
    args: Record<string, unknown>,
    expiresInMs: number,
    nowMs = Date.now(),
  ): Promise<StoredCommand | undefined> {
    const device = await this.store.registry.deviceOf(deviceId);
    if (!device) return undefined;
    const command: StoredCommand = {
      id: `cmd-${randomUUID()}`,
      deviceId,
      gatewayId: device.gatewayId,
      name,
      args,
      createdAtMs: nowMs,
      expiresAtMs: nowMs + expiresInMs,
      status: 'queued',
      statusAtMs: nowMs,
      detail: null,
    };
    await this.store.commands.put(command);
    await this.forward(command);
    return command;
  }

  async get(id: string, nowMs = Date.now()): Promise<StoredCommand | undefined> {
    const command = await this.store.commands.get(id);
    return command && this.asOf(command, nowMs);
  }

  async ofDevice(deviceId: string, limit: number, nowMs = Date.now()): Promise<StoredCommand[]> {
    return (await this.store.commands.ofDevice(deviceId, limit)).map((c) => this.asOf(c, nowMs));
  }

  /** A gateway's report: the command moves forward, or the report is stale and changes nothing. */
  async report(gatewayId: string, payload: Uint8Array): Promise<void> {
    let report: CommandStatusReport;
    try {
      report = JSON.parse(Buffer.from(payload).toString('utf8')) as CommandStatusReport;
    } catch {
      this.logger.warn({ gatewayId }, 'command status report is not JSON; ignored');
      return;
    }
    const command = await this.store.commands.get(String(report?.id));
    if (!command || command.gatewayId !== gatewayId) return; // not this gateway's to report on
    if (!commandMovesTo(command.status, report.status)) return;
    await this.store.commands.put({
      ...command,
      status: report.status,
      statusAtMs: Number(report.atMs) || Date.now(),
      detail: report.detail ?? null,
    });
  }

  /** When each gateway was last sent its queue (status records come every 30 s: not every one resends it). */
  private readonly resentAtMs = new Map<string, number>();

  /** The gateway is online: what is still queued for it goes again, at most every commandResendIntervalMs. */
  async gatewayOnline(gatewayId: string, nowMs = Date.now()): Promise<void> {
    if (nowMs - (this.resentAtMs.get(gatewayId) ?? Number.NEGATIVE_INFINITY) < commandResendIntervalMs) return;
    this.resentAtMs.set(gatewayId, nowMs);
    for (const command of await this.store.commands.pendingFor(gatewayId, nowMs)) await this.forward(command);
  }

  private async forward(command: StoredCommand): Promise<void> {
    const publish = this.publish();
    if (!publish) return;
    const { id, deviceId, name, args, createdAtMs, expiresAtMs } = command;
    const wire: DeviceCommand = { id, deviceId, name, args, createdAtMs, expiresAtMs };
    await publish(cloudTopics.commands(command.gatewayId), JSON.stringify(wire)).catch((error: Error) =>
      this.logger.warn(
        { commandId: id, gatewayId: command.gatewayId, error: error.message },
        'command not sent to its gateway yet; sent again when it is online',
      ),
    );
  }

  /** A command still waiting past its expiry is expired, whether or not its gateway said so. */
  private asOf(command: StoredCommand, nowMs: number): StoredCommand {
    if (isFinalCommandStatus(command.status) || command.expiresAtMs > nowMs || command.status !== 'queued') return command;
    return { ...command, status: 'expired', statusAtMs: command.expiresAtMs, detail: 'not delivered before it expired' };
  }
}
