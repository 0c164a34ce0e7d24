import type { CommandStatus, CommandStatusReport, DeviceCommand } from '@fogline/shared';

/** Commands waiting per device, at most; one more is refused (reported failed). */
export const commandsPerDeviceMax = 100;
/** Commands waiting on the gateway, at most; one more is refused (reported failed). */
export const commandsWaitingMax = 10_000;
/** Command ids remembered to act on each once, at most; the oldest forgotten past it. */
export const commandIdsRememberedMax = 100_000;

export interface CommandDeskDeps {
  /** Publishes on commands/{deviceId} at QoS 1. */
  publishToDevice(deviceId: string, payload: Buffer): void;
  isConnected(deviceId: string): boolean;
  /** Each step, up to the cloud. */
  report(report: CommandStatusReport): void;
}

interface Waiting {
  readonly command: DeviceCommand;
  sent: boolean;
}

/**
 * Commands on the gateway, between the cloud and the devices. A command is published to its
 * device when the device is connected (sent), or waits for it to connect (queued), bounded per
 * device and in all: past a bound the command is refused and reported failed. The device's
 * PUBACK makes it delivered; its answer on commands/{deviceId}/ack acknowledged (or failed, as
 * it says). One not delivered by its expiry is expired. The cloud may send a command again
 * (it does while it is queued there): an id is acted on once. Waiting commands live in memory:
 * after a restart the cloud sends what is still queued again.
 */
export class CommandDesk {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly seen = new Set<string>();
  private waitingCount = 0;

  constructor(private readonly deps: CommandDeskDeps) {}

  /** A command from the cloud. */
  accept(payload: Buffer, nowMs = Date.now()): void {
    let command: DeviceCommand;
    try {
      command = JSON.parse(payload.toString('utf8')) as DeviceCommand;
    } catch {
      return;
    }
    if (typeof command?.id !== 'string' || typeof command.deviceId !== 'string' || this.seen.has(command.id)) return;
    this.remember(command.id);
    if (command.expiresAtMs <= nowMs) return this.say(command, 'expired', nowMs, 'expired before it reached the gateway');
    const queue = this.waiting.get(command.deviceId) ?? [];
    if (queue.length >= commandsPerDeviceMax || this.waitingCount >= commandsWaitingMax)
      return this.say(
        command,
        'failed',
        nowMs,
        `the gateway holds ${queue.length} commands for this device (${commandsPerDeviceMax} at most) and ${this.waitingCount} in all (${commandsWaitingMax} at most)`,
      );
    queue.push({ command, sent: false });
    this.waiting.set(command.deviceId, queue);
    this.waitingCount++;
    if (this.deps.isConnected(command.deviceId)) this.send(queue[queue.length - 1], nowMs);
    else this.say(command, 'queued', nowMs, 'waiting for the device to connect');
  }

  /** The device is connected: what waits for it is published (again, for what was sent to an earlier connection). */
  deviceConnected(deviceId: string, nowMs = Date.now()): void {
    this.expire(nowMs); // never one past its expiry, even between two checks
    for (const waiting of this.waiting.get(deviceId) ?? []) this.send(waiting, nowMs);
  }

  /** The device's PUBACK of a command. */
  delivered(deviceId: string, payload: Buffer | undefined, nowMs = Date.now()): void {
    const id = idOf(payload);
    const waiting = this.take(deviceId, id);
    if (!waiting) return;
    this.say(waiting.command, 'delivered', nowMs);
    this.awaitingAnswer.set(waiting.command.id, deviceId);
    for (const old of this.awaitingAnswer.keys()) {
      if (this.awaitingAnswer.size <= commandIdsRememberedMax) break;
      this.awaitingAnswer.delete(old);
    }
  }

  /** Commands delivered and not answered yet, by id: only the device they went to may answer them. */
  private readonly awaitingAnswer = new Map<string, string>();

  /** The device's answer on commands/{deviceId}/ack: {"id": ..., "status": "ok" | "failed", "detail": ...}. */
  acknowledged(deviceId: string, payload: Buffer, nowMs = Date.now()): void {
    let answer: { id?: unknown; status?: unknown; detail?: unknown };
    try {
      answer = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (typeof answer?.id !== 'string') return;
    // A device may answer before its PUBACK is seen: the command is done either way. An answer
    // to a command it was never sent is ignored: a device cannot report on others' commands.
    const answered = this.take(deviceId, answer.id) !== undefined || this.awaitingAnswer.get(answer.id) === deviceId;
    this.awaitingAnswer.delete(answer.id);
    if (!answered) return;
    const detail = typeof answer.detail === 'string' ? answer.detail.slice(0, 500) : undefined;
    this.deps.report({ id: answer.id, deviceId, status: answer.status === 'failed' ? 'failed' : 'acknowledged', atMs: nowMs, detail });
  }

  /** Commands past their expiry and not delivered: expired. */
  expire(nowMs = Date.now()): void {
    for (const [deviceId, queue] of this.waiting) {
      for (const waiting of queue.filter((w) => w.command.expiresAtMs <= nowMs)) {
        this.take(deviceId, waiting.command.id);
        this.say(waiting.command, 'expired', nowMs, 'not delivered before it expired');
      }
    }
  }

  get size(): number {
    return this.waitingCount;
  }

  private send(waiting: Waiting, nowMs: number): void {
    const { command } = waiting;
    this.deps.publishToDevice(command.deviceId, Buffer.from(JSON.stringify(command)));
    if (!waiting.sent) this.say(command, 'sent', nowMs);
    waiting.sent = true;
  }

  private take(deviceId: string, id: string | undefined): Waiting | undefined {
    const queue = this.waiting.get(deviceId);
    const at = queue?.findIndex((w) => w.command.id === id) ?? -1;
    if (!queue || at < 0) return undefined;
    const [waiting] = queue.splice(at, 1);
    this.waitingCount--;
    if (queue.length === 0) this.waiting.delete(deviceId);
    return waiting;
  }

  private remember(id: string): void {
    this.seen.add(id);
    for (const old of this.seen) {
      if (this.seen.size <= commandIdsRememberedMax) break;
      this.seen.delete(old);
    }
  }

  private say(command: DeviceCommand, status: CommandStatus, atMs: number, detail?: string): void {
    this.deps.report({ id: command.id, deviceId: command.deviceId, status, atMs, ...(detail && { detail }) });
  }
}

function idOf(payload: Buffer | undefined): string | undefined {
  try {
    const id = (JSON.parse(payload?.toString('utf8') ?? '') as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
