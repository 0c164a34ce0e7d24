import { describeArchiveConformance } from './store-conformance-archive.js';
import type { StoreHarness } from './store-conformance-context.js';
import { describeIntakeConformance } from './store-conformance-intake.js';
import { describeQueryConformance } from './store-conformance-queries.js';
import { describeSqlConformance } from './store-conformance-sql.js';

export type { StoreHarness } from './store-conformance-context.js';

/**
 * The one suite every cloud store backend passes: what the intake, the API and maintenance
 * rely on, judged by what is read back, never by the store's own counters alone.
 */
export function describeCloudStore(backend: string, harness: StoreHarness): void {
  describeIntakeConformance(backend, harness);
  describeQueryConformance(backend, harness);
  describeArchiveConformance(backend, harness);
  describeSqlConformance(backend, harness);
}
