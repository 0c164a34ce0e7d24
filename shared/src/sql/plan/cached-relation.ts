import type { RDD, RddContext } from '../../rdd/internal.js';
import { StorageLevel } from '../../rdd/internal.js';
import type { Row } from '../expressions/expression.js';
import { type LogicalPlan, PassThroughPlan } from './logical-plan.js';

/** A DataFrame after cache()/persist(): its RDD is built once and persisted, so later queries reuse the rows. */
export class CachedRelation extends PassThroughPlan {
  private rdd: RDD<Row> | undefined;
  constructor(
    readonly child: LogicalPlan,
    readonly level: StorageLevel = StorageLevel.MEMORY_ONLY,
  ) {
    super();
  }
  // The optimiser must not rebuild a cached node, or the cache would be lost.
  withChildren(): LogicalPlan {
    return this;
  }
  describe(): string {
    return `InMemoryRelation ${this.level}`;
  }
  execute(ctx: RddContext): RDD<Row> {
    this.rdd ??= this.child.execute(ctx).persist(this.level);
    return this.rdd;
  }
  unpersist(): void {
    this.rdd?.unpersist();
    this.rdd = undefined;
  }
}
