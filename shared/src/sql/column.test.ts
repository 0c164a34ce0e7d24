import { describe, expect, it } from 'vitest';
import { F } from './index.js';
import { testSession } from './test-session.js';

// Examples ported from PySpark's Column documentation (pyspark.sql.Column).
const people = () =>
  testSession().createDataFrame(
    [
      [2, 'Alice'],
      [5, 'Bob'],
    ],
    ['age', 'name'],
  );

describe('Column (PySpark documentation examples)', () => {
  it('arithmetic: plus, minus, multiply, divide (always double), mod', async () => {
    const df = people();
    const c = F.col('age');
    expect(await df.select(c.plus(1), c.minus(1), c.multiply(2), c.divide(2), c.mod(2)).collect()).toEqual([
      { '(age + 1)': 3, '(age - 1)': 1, '(age * 2)': 4, '(age / 2)': 1, '(age % 2)': 0 },
      { '(age + 1)': 6, '(age - 1)': 4, '(age * 2)': 10, '(age / 2)': 2.5, '(age % 2)': 1 },
    ]);
    expect(df.select(c.divide(2)).dtypes).toEqual([['(age / 2)', 'double']]);
    expect(await df.select(c.divide(0).alias('q'), c.mod(0).alias('r')).first()).toEqual({ q: null, r: null });
  });

  it('comparisons and boolean logic', async () => {
    const df = people();
    const age = F.col('age');
    expect(await df.filter(age.equalTo(2)).count()).toBe(1);
    expect(await df.filter(age.notEqual(2)).count()).toBe(1);
    expect(await df.filter(age.lt(5).and(age.geq(2))).count()).toBe(1);
    expect(await df.filter(age.leq(2).or(age.gt(4))).count()).toBe(2);
    expect(await df.filter(age.gt(3).not()).select('name').collect()).toEqual([{ name: 'Alice' }]);
  });

  it('between: name and result as in the documentation', async () => {
    expect(await people().select(F.col('name'), F.col('age').between(2, 4)).collect()).toEqual([
      { name: 'Alice', '((age >= 2) AND (age <= 4))': true },
      { name: 'Bob', '((age >= 2) AND (age <= 4))': false },
    ]);
  });

  it('isin, like, startsWith', async () => {
    const df = people();
    expect(await df.filter(F.col('name').isin('Bob', 'Mike')).collect()).toEqual([{ age: 5, name: 'Bob' }]);
    expect(await df.filter(F.col('age').isin([1, 2, 3])).collect()).toEqual([{ age: 2, name: 'Alice' }]);
    expect(await df.filter(F.col('name').like('Al%')).collect()).toEqual([{ age: 2, name: 'Alice' }]);
    expect(await df.filter(F.col('name').like('B_b')).collect()).toEqual([{ age: 5, name: 'Bob' }]);
    expect(await df.filter(F.col('name').startsWith('Al')).collect()).toEqual([{ age: 2, name: 'Alice' }]);
  });

  it('isNull and isNotNull', async () => {
    const df = testSession().createDataFrame([
      { name: 'Tom', height: 80 },
      { name: 'Alice', height: null },
    ]);
    expect(await df.filter(F.col('height').isNull()).collect()).toEqual([{ name: 'Alice', height: null }]);
    expect(await df.filter(F.col('height').isNotNull()).collect()).toEqual([{ name: 'Tom', height: 80 }]);
  });

  it('alias and cast', async () => {
    const df = people();
    expect(await df.select(F.col('age').alias('age2')).collect()).toEqual([{ age2: 2 }, { age2: 5 }]);
    expect(await df.select(F.col('age').cast('string').alias('ages')).collect()).toEqual([{ ages: '2' }, { ages: '5' }]);
    expect(await df.select(F.col('age').cast('double').alias('d')).collect()).toEqual([{ d: 2 }, { d: 5 }]);
    expect(df.select(F.col('age').cast('double').alias('d')).dtypes).toEqual([['d', 'double']]);
    const text = testSession().createDataFrame([{ s: '12' }, { s: 'x' }, { s: '2026-12-02 10:00:00' }]);
    expect((await text.select(F.col('s').cast('int').alias('n')).collect()).map((r) => r.n)).toEqual([12, null, null]);
    expect((await text.select(F.col('s').cast('timestamp').alias('t')).collect()).map((r) => r.t)).toEqual([
      null,
      null,
      new Date('2026-12-02T10:00:00Z'),
    ]);
  });

  it('asc and desc sort keys', async () => {
    const df = people();
    expect(await df.orderBy(F.col('name').desc()).select('name').collect()).toEqual([{ name: 'Bob' }, { name: 'Alice' }]);
    expect(await df.orderBy(F.col('name').asc()).select('name').collect()).toEqual([{ name: 'Alice' }, { name: 'Bob' }]);
  });

  it('when ... otherwise: the documentation example and its column name', async () => {
    const df = people();
    const c = F.when(F.col('age').gt(4), 1).when(F.col('age').lt(3), -1).otherwise(0);
    expect(await df.select(F.col('name'), c).collect()).toEqual([
      { name: 'Alice', 'CASE WHEN (age > 4) THEN 1 WHEN (age < 3) THEN -1 ELSE 0 END': -1 },
      { name: 'Bob', 'CASE WHEN (age > 4) THEN 1 WHEN (age < 3) THEN -1 ELSE 0 END': 1 },
    ]);
    expect(await df.select(F.when(F.col('age').equalTo(3), 3).alias('x')).collect()).toEqual([{ x: null }, { x: null }]);
  });

  it('nulls propagate as in SQL, with three-valued AND and OR', async () => {
    const df = testSession().createDataFrame([{ a: null, b: true, c: false }], 'a boolean, b boolean, c boolean');
    const [row] = await df
      .select(
        F.col('a').and(F.col('b')).alias('null_and_true'),
        F.col('a').and(F.col('c')).alias('null_and_false'),
        F.col('a').or(F.col('b')).alias('null_or_true'),
        F.col('a').or(F.col('c')).alias('null_or_false'),
        F.col('a').not().alias('not_null'),
        F.col('a').equalTo(F.lit(null)).alias('eq_null'),
      )
      .collect();
    expect(row).toEqual({
      null_and_true: null,
      null_and_false: false,
      null_or_true: true,
      null_or_false: null,
      not_null: null,
      eq_null: null,
    });
  });

  it('a filter keeps only true rows: null is not true', async () => {
    const df = testSession().createDataFrame([{ v: 1 }, { v: null }, { v: 3 }]);
    expect(await df.filter(F.col('v').gt(1)).count()).toBe(1);
    expect(await df.filter(F.col('v').gt(1).not()).count()).toBe(1);
  });

  it('values at the edges of the double range stay exact', async () => {
    const df = testSession().createDataFrame([{ v: Number.MAX_VALUE }, { v: -Number.MAX_VALUE }, { v: Number.MIN_VALUE }]);
    const [row] = await df.agg(F.max('v'), F.min('v'), F.count('v')).collect();
    expect(row).toEqual({ 'max(v)': Number.MAX_VALUE, 'min(v)': -Number.MAX_VALUE, 'count(v)': 3 });
  });

  it('names a missing column and the columns there are', () => {
    expect(() => people().select(F.col('agee'))).toThrow("column 'agee' does not exist; the input has [age, name]");
  });
});
