/** Addresses whose failed logins are tracked, at most; past it the one tracked longest is forgotten. */
export const loginThrottleAddressesMax = 10_000;

export interface LoginThrottleOptions {
  /** Failed logins from one address within windowMs before it is refused without a check. */
  readonly failuresMax: number;
  readonly windowMs: number;
}

/**
 * Failed logins per remote address. Past failuresMax within windowMs, an address is refused
 * before its secret is checked, so guessing costs the broker nothing (a secret check is an
 * scrypt on the thread pool that the stores' writes share). The window slides: the address
 * is let in again once its oldest counted failure is windowMs old.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly options: LoginThrottleOptions) {}

  /** True when this address may try a login now. */
  allows(address: string, nowMs = Date.now()): boolean {
    const times = this.failures.get(address);
    if (!times) return true;
    while (times.length > 0 && nowMs - times[0] >= this.options.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(address);
    return times.length < this.options.failuresMax;
  }

  failed(address: string, nowMs = Date.now()): void {
    const times = this.failures.get(address) ?? [];
    this.failures.delete(address); // re-inserted last: the Map's order is the eviction order
    times.push(nowMs);
    if (times.length > this.options.failuresMax) times.shift();
    this.failures.set(address, times);
    if (this.failures.size > loginThrottleAddressesMax) this.failures.delete(this.failures.keys().next().value as string);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }
}

/** The remote address of an aedes client: its socket's, or (WebSocket) its upgrade request's. */
export function remoteAddressOf(client: { conn?: unknown; req?: unknown }): string {
  const conn = client.conn as { remoteAddress?: string } | undefined;
  const req = client.req as { socket?: { remoteAddress?: string } } | undefined;
  return conn?.remoteAddress ?? req?.socket?.remoteAddress ?? 'unknown';
}
