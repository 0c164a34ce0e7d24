import { afterEach } from 'vitest';
import { partitionTopic } from '../testing/envelope-fixture.js';
import type { CloudStore } from './cloud-store.js';

/** How the suite gets stores of one backend. */
export interface StoreHarness {
  /** A new, empty store, and a way to open it again (after closing it) on the same data. */
  fresh(): Promise<{ store: CloudStore; reopen(): Promise<CloudStore> }>;
  /** Backends several processes share: a second node on the same data, open at the same time. */
  another?(first: CloudStore): Promise<CloudStore>;
}

export const all = Number.MAX_SAFE_INTEGER;
export const topic = partitionTopic;
export const hourMs = 3_600_000;
export const dayMs = 24 * hourMs;

/** What each part of the suite uses: fresh stores, closed after each test, and a reading count. */
export function suiteContext(harness: StoreHarness) {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const resource of open.splice(0).reverse()) await resource.close();
  });
  const fresh = async () => {
    const handle = await harness.fresh();
    open.push(handle.store);
    return handle;
  };
  const countOf = async (s: CloudStore, device: string, metric = 't') =>
    (await s.series.series(device, metric, 0, all)).reduce((n, p) => n + p.state.count, 0);
  return { open, fresh, countOf };
}
