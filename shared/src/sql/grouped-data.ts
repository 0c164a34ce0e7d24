import { aggregate, Column, type ColumnLike, toExpr } from './column.js';
import type { DataFrame } from './dataframe.js';
import { badArgument } from './errors.js';
import { countStar } from './expressions/aggregates.js';
import { Alias, type Expr } from './expressions/expression.js';
import { Aggregate } from './plan/aggregate.js';

/** What groupBy() returns (PySpark's GroupedData): call agg() or one of its shortcuts to get a DataFrame. */
export class GroupedData {
  constructor(
    private readonly df: DataFrame,
    private readonly grouping: readonly Expr[],
  ) {}

  /**
   * Aggregates each group: Columns such as F.avg('age'), or a record of column → function name
   * as PySpark's agg({'age': 'max'}).
   * @example df.groupBy('name').agg(F.avg('age').alias('mean_age'), F.count('*'))
   * @example df.groupBy('name').agg({ age: 'max' })
   */
  agg(...exprs: (Column | Record<string, string>)[]): DataFrame {
    const columns = exprs.flatMap((e) => (e instanceof Column ? [e] : Object.entries(e).map(([c, fn]) => aggregate(fn, c))));
    if (columns.length === 0) badArgument('agg', 'exprs', exprs, 'at least one aggregate column');
    return this.build(columns.map((c) => c.expr));
  }

  /** Rows per group, in a column named count. @example df.groupBy('name').count() */
  count(): DataFrame {
    return this.build([new Alias(countStar(), 'count')]);
  }
  /** The sum of each named column (all numeric ones by default). @example df.groupBy('name').sum('age') */
  sum(...cols: string[]): DataFrame {
    return this.numeric('sum', cols);
  }
  /** The mean of each named column. @example df.groupBy('name').avg('age') */
  avg(...cols: string[]): DataFrame {
    return this.numeric('avg', cols);
  }
  /** Same as avg. @example df.groupBy('name').mean('age') */
  mean(...cols: string[]): DataFrame {
    return this.numeric('avg', cols);
  }
  /** The least of each named column. @example df.groupBy('name').min('age') */
  min(...cols: string[]): DataFrame {
    return this.numeric('min', cols);
  }
  /** The greatest of each named column. @example df.groupBy('name').max('age') */
  max(...cols: string[]): DataFrame {
    return this.numeric('max', cols);
  }

  private numeric(fn: string, cols: readonly string[]): DataFrame {
    const grouped = new Set(this.grouping.map((g) => g.toString().toLowerCase()));
    const names = cols.length
      ? cols
      : this.df.dtypes
          .filter(([name, type]) => ['int', 'bigint', 'double'].includes(type) && !grouped.has(name.toLowerCase()))
          .map(([n]) => n);
    return this.build(names.map((n) => aggregate(fn, n).expr));
  }

  private build(aggregates: readonly Expr[]): DataFrame {
    const grouping = this.grouping;
    return this.df.withPlan(new Aggregate(grouping, [...grouping, ...aggregates], this.df.plan));
  }
}

export function groupingExprs(cols: readonly (ColumnLike | readonly ColumnLike[])[]): Expr[] {
  return cols.flat().map((c) => toExpr(c as ColumnLike));
}
