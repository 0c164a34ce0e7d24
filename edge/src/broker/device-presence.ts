/** Devices remembered for `devices list --connected`, at most; past it the longest-gone is forgotten (counted). */
export const presenceDevicesMax = 100_000;

export interface DevicePresenceEntry {
  readonly clientId: string;
  connected: boolean;
  connectedAtMs: number;
  lastSeenMs: number;
}

/**
 * Who is connected to the gateway's broker and when each device was last heard from (its
 * connect, publish or disconnect), for operators. Bounded: a Map in touch order, so the first
 * entries are the devices gone longest.
 */
export class DevicePresence {
  private readonly entries = new Map<string, DevicePresenceEntry>();
  forgotten = 0;

  constructor(
    readonly devicesMax = presenceDevicesMax,
    private readonly onForgotten: () => void = () => {},
  ) {}

  /** Called when a device connects (the gateway's command desk sends what waits for it). */
  onConnected?: (clientId: string) => void;

  connected(clientId: string, nowMs = Date.now()): void {
    this.entries.delete(clientId);
    this.entries.set(clientId, { clientId, connected: true, connectedAtMs: nowMs, lastSeenMs: nowMs });
    this.trim();
    this.onConnected?.(clientId);
  }

  isConnected(clientId: string): boolean {
    return this.entries.get(clientId)?.connected ?? false;
  }

  /** A publish: cheap, as it runs for every one (the entry keeps its place in the order). */
  seen(clientId: string, nowMs = Date.now()): void {
    const entry = this.entries.get(clientId);
    if (entry) entry.lastSeenMs = nowMs;
  }

  disconnected(clientId: string, nowMs = Date.now()): void {
    const entry = this.entries.get(clientId);
    if (!entry) return;
    this.entries.delete(clientId);
    this.entries.set(clientId, { ...entry, connected: false, lastSeenMs: nowMs });
  }

  /** Every device remembered, by id; `connectedOnly` leaves out those gone. */
  list(connectedOnly = false): DevicePresenceEntry[] {
    return [...this.entries.values()]
      .filter((entry) => !connectedOnly || entry.connected)
      .map((entry) => ({ ...entry }))
      .sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  private trim(): void {
    for (const [clientId, entry] of this.entries) {
      if (this.entries.size <= this.devicesMax) return;
      if (entry.connected) continue; // connections are bounded by connectionsMax themselves
      this.entries.delete(clientId);
      this.forgotten++;
      this.onForgotten();
    }
  }
}
