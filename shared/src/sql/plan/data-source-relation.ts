import type { RDD, RddContext } from '../../rdd/internal.js';
import type { Attribute, Row } from '../expressions/expression.js';
import type { StructType } from '../types.js';
import { LeafPlan } from './logical-plan.js';

/** A predicate a source may use to skip data: `column op literal`. Sources must not rely on it for exactness. */
export interface PushedFilter {
  readonly column: string;
  readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'isnull' | 'isnotnull';
  readonly value: unknown;
}

/** What the plan asks of a source: only these columns, in this order, and rows that may pass these filters. */
export interface ScanRequest {
  readonly columns: readonly string[];
  readonly filters: readonly PushedFilter[];
}

/**
 * A table a DataFrame can read (Spark's BaseRelation with PrunedFilteredScan): Parquet, CSV
 * and JSON files, and the cloud's tables. The filters are hints: the plan applies them again.
 */
export interface TableSource {
  readonly name: string;
  readonly schema: StructType;
  scan(request: ScanRequest, ctx: RddContext): RDD<Row>;
}

/** A source read through pushed column pruning and filters. */
export class DataSourceRelation extends LeafPlan {
  constructor(
    readonly source: TableSource,
    readonly output: readonly Attribute[],
    readonly pushedFilters: readonly PushedFilter[] = [],
  ) {
    super();
  }
  describe(): string {
    const filters = this.pushedFilters.map((f) => `${f.op}(${f.column}${f.op.startsWith('is') ? '' : `, ${JSON.stringify(f.value)}`})`);
    return `Relation ${this.source.name} [${this.output.map((a) => `${a.name}#${a.exprId}`).join(', ')}] PushedFilters: [${filters.join(', ')}]`;
  }
  execute(ctx: RddContext): RDD<Row> {
    return this.source.scan({ columns: this.output.map((a) => a.name), filters: this.pushedFilters }, ctx);
  }
}
