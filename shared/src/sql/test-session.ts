import { afterEach } from 'vitest';
import { RddContext } from '../rdd/internal.js';
import { SqlContext } from './sql-context.js';

const open: RddContext[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((ctx) => ctx.stop()));
});

/** A SqlContext for one test, on three partitions so shuffles and partial aggregates really happen. */
export function testSession(): SqlContext {
  const rdd = new RddContext({ defaultParallelism: 3 });
  open.push(rdd);
  return new SqlContext(rdd);
}
