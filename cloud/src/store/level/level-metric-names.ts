import type { Sublevel } from '@fogline/shared';
import { metricNamesMax } from '../cloud-store.js';

/**
 * The metric names merged so far, listed for the dashboard: kept in memory and on disk, at
 * most metricNamesMax; names past it are merged but not listed, and counted.
 */
export class LevelMetricNames {
  private readonly known = new Set<string>();
  unlisted = 0;

  constructor(private readonly sublevel: Sublevel) {}

  /** Reads the list; a store written before names were listed lists them from its day rollups. */
  async load(fromDays: () => AsyncIterable<[deviceId: string, metric: string]>): Promise<void> {
    for await (const name of this.sublevel.keys()) this.known.add(name);
    if (this.known.size > 0) return;
    for await (const [, metric] of fromDays()) {
      if (this.known.size >= metricNamesMax) break;
      this.known.add(metric);
    }
    await this.sublevel.batch([...this.known].map((key) => ({ type: 'put' as const, key, value: new Uint8Array(0) })) as never);
  }

  /** The puts that list names not listed yet, as far as there is room. */
  toList(names: readonly string[]) {
    const fresh = names.filter((name) => !this.known.has(name));
    const room = Math.max(0, metricNamesMax - this.known.size);
    const listed = fresh.slice(0, room);
    const unlisted = fresh.length - listed.length;
    this.unlisted += unlisted;
    const operations = listed.map((key) => ({ type: 'put' as const, sublevel: this.sublevel, key, value: new Uint8Array(0) }));
    return { operations, listed, unlisted };
  }

  committed(names: readonly string[]): void {
    for (const name of names) this.known.add(name);
  }

  list(): string[] {
    return [...this.known].sort();
  }
}
