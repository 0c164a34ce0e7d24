import { Column } from './column.js';
import type { DataFrame } from './dataframe.js';
import { badArgument } from './errors.js';
import { Alias, AttributeRef, Literal } from './expressions/expression.js';
import { ScalarFunction } from './expressions/functions.js';
import { Unary } from './expressions/operators.js';
import { Filter } from './plan/filter.js';
import { Project } from './plan/project.js';

/** df.na: PySpark's DataFrameNaFunctions. */
export class NaFunctions {
  constructor(private readonly df: DataFrame) {}

  /**
   * Replaces nulls: a number fills numeric columns, a string string columns, a boolean boolean
   * ones; a record gives a value per column. subset limits the columns.
   * @example df.na.fill(0) @example df.na.fill({ age: 50, name: 'unknown' })
   */
  fill(value: number | string | boolean | Record<string, unknown>, subset?: readonly string[]): DataFrame {
    const perColumn = typeof value === 'object' && value !== null ? value : undefined;
    if (!perColumn && !['number', 'string', 'boolean'].includes(typeof value))
      badArgument('na.fill', 'value', value, 'a number, string, boolean or a record of them');
    const wanted = subset?.map((s) => s.toLowerCase());
    const fits = (type: string, v: unknown) =>
      typeof v === 'number'
        ? ['int', 'bigint', 'double'].includes(type)
        : typeof v === 'string'
          ? type === 'string'
          : typeof v === 'boolean'
            ? type === 'boolean'
            : false;
    const plan = this.df.plan;
    const list = plan.output.map((a) => {
      const lower = a.name.toLowerCase();
      const fill = perColumn ? Object.entries(perColumn).find(([k]) => k.toLowerCase() === lower)?.[1] : value;
      const chosen = (!wanted || wanted.includes(lower)) && fill !== undefined && fits(a.dataType.kind, fill);
      if (!chosen) return new AttributeRef(a);
      const filled = a.dataType.kind === 'int' || a.dataType.kind === 'bigint' ? Math.trunc(fill as number) : fill;
      return new Alias(new ScalarFunction('coalesce', [new AttributeRef(a), new Literal(filled)]), a.name);
    });
    return this.df.withPlan(new Project(list, plan));
  }

  /**
   * Drops rows with nulls: how 'any' (a null in any column) or 'all' (every column null);
   * thresh keeps rows with at least that many non-null values and overrides how.
   * @example df.na.drop() @example df.na.drop('all') @example df.na.drop('any', 2)
   */
  drop(how: 'any' | 'all' = 'any', thresh?: number, subset?: readonly string[]): DataFrame {
    if (how !== 'any' && how !== 'all') badArgument('na.drop', 'how', how, "'any' or 'all'");
    const wanted = subset?.map((s) => s.toLowerCase());
    const attrs = this.df.plan.output.filter((a) => !wanted || wanted.includes(a.name.toLowerCase()));
    const required = thresh ?? (how === 'any' ? attrs.length : 1);
    const nonNull = attrs.map((a) => new Column(new Unary('IS NOT NULL', new AttributeRef(a))).cast('int'));
    const counted = nonNull.reduce((a, b) => a.plus(b), new Column(new Literal(0)));
    return this.df.withPlan(new Filter(counted.geq(required).expr, this.df.plan));
  }
}
