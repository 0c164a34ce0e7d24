import { analysisError } from '../errors.js';
import type { WindowSpec } from '../window.js';
import type { AggregateCall } from './aggregates.js';
import { type Bound, Expr } from './expression.js';

/** `agg OVER (window)`: an aggregate over each row's frame; a Window plan node computes it. */
export class WindowExpression extends Expr {
  constructor(
    readonly call: AggregateCall,
    readonly spec: WindowSpec,
  ) {
    super();
  }
  toString(): string {
    return `${this.call} OVER (${this.spec})`;
  }
  children(): readonly Expr[] {
    return [this.call];
  }
  withChildren(c: readonly Expr[]): Expr {
    return new WindowExpression(c[0] as AggregateCall, this.spec);
  }
  bind(): Bound {
    return analysisError(`${this} can only be a select item of its own (or a withColumn)`);
  }
}
