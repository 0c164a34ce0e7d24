import { afterEach } from 'vitest';
import { RddContext, type RddContextOptions } from './internal.js';

const open: RddContext[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((ctx) => ctx.stop()));
});

/** A context for one test, stopped after it (its disk folder removed). */
export function testContext(options: RddContextOptions = {}): RddContext {
  const ctx = new RddContext({ defaultParallelism: 3, ...options });
  open.push(ctx);
  return ctx;
}

/** aggregateByKey functions that collect values into arrays, mutating their first argument. */
export const appendValue = <V>(list: V[], value: V): V[] => {
  list.push(value);
  return list;
};
export const appendAll = <V>(list: V[], more: V[]): V[] => {
  list.push(...more);
  return list;
};
