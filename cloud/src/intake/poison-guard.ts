import { createHash } from 'node:crypto';

/** Messages whose failures are being counted, at most; past it the oldest is forgotten. */
export const failingMessagesMax = 1_000;
/** Attempts at one message before it is parked. */
export const intakeAttemptsMax = 3;

/**
 * Stops one message that always fails from being retried forever. A gateway resends what the
 * cloud did not acknowledge, so a message whose intake throws every time (a bug, a state the
 * store cannot take) would block its gateway's uplink for good. After intakeAttemptsMax
 * failures of the same bytes on the same topic, the message is parked: kept whole with the
 * error for an operator, counted, and acknowledged. Parking is a write: while the store is
 * down that fails too, so an outage is never mistaken for a poison message.
 */
export class PoisonGuard {
  private readonly failures = new Map<string, number>();

  constructor(private readonly park: (topic: string, reason: string, payload: Uint8Array) => Promise<void>) {}

  async run(topic: string, payload: Uint8Array, intake: () => Promise<void>): Promise<'done' | 'parked'> {
    try {
      await intake();
      return 'done';
    } catch (error) {
      const key = createHash('sha256').update(topic).update('\0').update(payload).digest('base64');
      const attempts = (this.failures.get(key) ?? 0) + 1;
      this.failures.delete(key); // re-inserted last: the Map's order is the eviction order
      if (attempts < intakeAttemptsMax) {
        this.failures.set(key, attempts);
        if (this.failures.size > failingMessagesMax) this.failures.delete(this.failures.keys().next().value as string);
        throw error;
      }
      await this.park(topic, `parked after ${attempts} failed attempts: ${(error as Error).message}`, payload);
      return 'parked';
    }
  }
}
