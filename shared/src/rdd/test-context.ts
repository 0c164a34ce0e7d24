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
