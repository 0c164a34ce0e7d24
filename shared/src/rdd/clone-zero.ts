/**
 * A fresh copy of a zero value for each partition and each key. PySpark ships every task its
 * own deserialized zero, so seqOp may mutate it; here tasks share one process, so fogline copies:
 * primitives as they are, objects with a clone() method through it (MetricState has one), plain
 * data through structuredClone.
 */
export function cloneZero<U>(zero: U): U {
  if (typeof zero !== 'object' || zero === null) return zero;
  const cloneable = zero as { clone?: () => U };
  if (typeof cloneable.clone === 'function') return cloneable.clone();
  return structuredClone(zero);
}
