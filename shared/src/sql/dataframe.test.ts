import { describe, expect, it } from 'vitest';
import { desc } from './functions.js';
import { F } from './index.js';
import { testSession } from './test-session.js';

// Examples ported from PySpark's DataFrame documentation (pyspark.sql.DataFrame), with the
// expected values the documentation prints; `df.age + 10` reads `df.col('age').plus(10)`.
const people = () => {
  const ctx = testSession();
  const df = ctx.createDataFrame(
    [
      [2, 'Alice'],
      [5, 'Bob'],
    ],
    ['age', 'name'],
  );
  return { ctx, df };
};

describe('DataFrame (PySpark documentation examples)', () => {
  it('select: names, *, and expressions with aliases', async () => {
    const { df } = people();
    expect(await df.select('*').collect()).toEqual([
      { age: 2, name: 'Alice' },
      { age: 5, name: 'Bob' },
    ]);
    expect(await df.select('name', 'age').collect()).toEqual([
      { name: 'Alice', age: 2 },
      { name: 'Bob', age: 5 },
    ]);
    expect(await df.select(df.col('name'), df.col('age').plus(10).alias('age')).collect()).toEqual([
      { name: 'Alice', age: 12 },
      { name: 'Bob', age: 15 },
    ]);
  });

  it('selectExpr takes SQL expressions', async () => {
    const { df } = people();
    expect(await df.selectExpr('age * 2', 'abs(age)').collect()).toEqual([
      { '(age * 2)': 4, 'abs(age)': 2 },
      { '(age * 2)': 10, 'abs(age)': 5 },
    ]);
  });

  it('filter and where take a Column or a SQL string', async () => {
    const { df } = people();
    expect(await df.filter(df.col('age').gt(3)).collect()).toEqual([{ age: 5, name: 'Bob' }]);
    expect(await df.where(df.col('age').equalTo(2)).collect()).toEqual([{ age: 2, name: 'Alice' }]);
    expect(await df.filter('age > 3').collect()).toEqual([{ age: 5, name: 'Bob' }]);
    expect(await df.where('age = 2').collect()).toEqual([{ age: 2, name: 'Alice' }]);
  });

  it('withColumn, withColumnRenamed, drop, toDF', async () => {
    const { df } = people();
    expect(await df.withColumn('age2', df.col('age').plus(2)).collect()).toEqual([
      { age: 2, name: 'Alice', age2: 4 },
      { age: 5, name: 'Bob', age2: 7 },
    ]);
    expect(await df.withColumn('age', F.col('age').multiply(3)).columns).toEqual(['age', 'name']);
    expect(await df.withColumnRenamed('age', 'age2').collect()).toEqual([
      { age2: 2, name: 'Alice' },
      { age2: 5, name: 'Bob' },
    ]);
    expect(await df.drop('age').collect()).toEqual([{ name: 'Alice' }, { name: 'Bob' }]);
    expect(await df.drop('nonexistent').columns).toEqual(['age', 'name']);
    expect(df.toDF('f1', 'f2').columns).toEqual(['f1', 'f2']);
  });

  it('groupBy with avg, agg by record, count by several columns', async () => {
    const { df } = people();
    expect(await df.groupBy().avg().collect()).toEqual([{ 'avg(age)': 3.5 }]);
    expect(await df.groupBy('name').agg({ age: 'mean' }).sort('name').collect()).toEqual([
      { name: 'Alice', 'avg(age)': 2 },
      { name: 'Bob', 'avg(age)': 5 },
    ]);
    expect(await df.groupBy(df.col('name')).avg().sort('name').collect()).toEqual([
      { name: 'Alice', 'avg(age)': 2 },
      { name: 'Bob', 'avg(age)': 5 },
    ]);
    expect(
      await df
        .groupBy(['name', df.col('age')])
        .count()
        .sort('name', 'age')
        .collect(),
    ).toEqual([
      { name: 'Alice', age: 2, count: 1 },
      { name: 'Bob', age: 5, count: 1 },
    ]);
  });

  it('agg over the whole DataFrame', async () => {
    const { df } = people();
    expect(await df.agg({ age: 'max' }).collect()).toEqual([{ 'max(age)': 5 }]);
    expect(await df.agg(F.min(df.col('age'))).collect()).toEqual([{ 'min(age)': 2 }]);
  });

  it('join: on a name, on a condition with an outer join, semi and anti', async () => {
    const { ctx, df } = people();
    const df2 = ctx.createDataFrame([
      { name: 'Tom', height: 80 },
      { name: 'Bob', height: 85 },
    ]);
    expect(await df.join(df2, 'name').select(df.col('name'), df2.col('height')).collect()).toEqual([{ name: 'Bob', height: 85 }]);
    const outer = df.join(df2, df.col('name').equalTo(df2.col('name')), 'outer').select(df.col('name'), df2.col('height'));
    expect(await outer.sort(desc('name')).collect()).toEqual([
      { name: 'Bob', height: 85 },
      { name: 'Alice', height: null },
      { name: null, height: 80 },
    ]);
    expect(await df.join(df2, 'name', 'left_semi').collect()).toEqual([{ age: 5, name: 'Bob' }]);
    expect(await df.join(df2, 'name', 'anti').collect()).toEqual([{ age: 2, name: 'Alice' }]);
    expect(await df.join(df2, 'name', 'right').sort('name').collect()).toEqual([
      { name: 'Bob', age: 5, height: 85 },
      { name: 'Tom', age: null, height: 80 },
    ]);
    expect(await df.crossJoin(df2.select('height')).count()).toBe(4);
  });

  it('a join on a condition keeps both key columns, and an unqualified name is then ambiguous', async () => {
    const { ctx, df } = people();
    const df2 = ctx.createDataFrame([{ name: 'Bob', height: 85 }]);
    const joined = df.join(df2, df.col('name').equalTo(df2.col('name')));
    expect(joined.columns).toEqual(['age', 'name', 'name', 'height']);
    expect(() => joined.select('name')).toThrow(/ambiguous/);
  });

  it('distinct, dropDuplicates', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        [2, 'Alice', 80],
        [2, 'Alice', 80],
        [5, 'Alice', 80],
        [3, 'Bob', 85],
      ],
      ['age', 'name', 'height'],
    );
    expect(await df.distinct().count()).toBe(3);
    expect(await df.dropDuplicates().count()).toBe(3);
    expect(await df.dropDuplicates(['name', 'height']).sort('name').select('name', 'height').collect()).toEqual([
      { name: 'Alice', height: 80 },
      { name: 'Bob', height: 85 },
    ]);
  });

  it('union by position, unionByName with missing columns', async () => {
    const ctx = testSession();
    const df1 = ctx.createDataFrame([[1, 2, 3]], ['col0', 'col1', 'col2']);
    const df2 = ctx.createDataFrame([[4, 5, 6]], ['col1', 'col2', 'col3']);
    expect(await df1.union(df2).collect()).toEqual([
      { col0: 1, col1: 2, col2: 3 },
      { col0: 4, col1: 5, col2: 6 },
    ]);
    expect(await df1.unionByName(df2, true).collect()).toEqual([
      { col0: 1, col1: 2, col2: 3, col3: null },
      { col0: null, col1: 4, col2: 5, col3: 6 },
    ]);
    expect(() => df1.unionByName(df2)).toThrow(/col0/);
  });

  it('orderBy and sort, with desc and ascending lists; limit, first, head, take, count', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        [2, 'Alice'],
        [5, 'Bob'],
        [5, 'Alice'],
      ],
      ['age', 'name'],
    );
    expect(await df.orderBy(desc('age'), 'name').collect()).toEqual([
      { age: 5, name: 'Alice' },
      { age: 5, name: 'Bob' },
      { age: 2, name: 'Alice' },
    ]);
    expect(await df.orderBy(['age', 'name'], { ascending: [false, false] }).collect()).toEqual([
      { age: 5, name: 'Bob' },
      { age: 5, name: 'Alice' },
      { age: 2, name: 'Alice' },
    ]);
    expect(await df.sort(F.col('age').desc()).limit(1).count()).toBe(1);
    expect(await df.sort('age').first()).toEqual({ age: 2, name: 'Alice' });
    expect(await df.sort('age', 'name').head(2)).toEqual([
      { age: 2, name: 'Alice' },
      { age: 5, name: 'Alice' },
    ]);
    expect(await df.take(2)).toHaveLength(2);
    expect(await df.count()).toBe(3);
    expect(await df.limit(0).collect()).toEqual([]);
  });

  it('sorts nulls first ascending and last descending', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([{ v: 2 }, { v: null }, { v: 1 }]);
    expect((await df.orderBy('v').collect()).map((r) => r.v)).toEqual([null, 1, 2]);
    expect((await df.orderBy(F.desc('v')).collect()).map((r) => r.v)).toEqual([2, 1, null]);
  });

  it('describe: count, mean, stddev, min, max as strings', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        ['Bob', 13, 40.3, 150.5],
        ['Alice', 12, 37.8, 142.3],
        ['Tom', 11, 44.1, 142.2],
      ],
      ['name', 'age', 'weight', 'height'],
    );
    const rows = await df.describe('age').collect();
    expect(rows).toEqual([
      { summary: 'count', age: '3' },
      { summary: 'mean', age: '12.0' },
      { summary: 'stddev', age: '1.0' },
      { summary: 'min', age: '11' },
      { summary: 'max', age: '13' },
    ]);
    expect((await df.describe().collect()).map((r) => r.summary)).toEqual(['count', 'mean', 'stddev', 'min', 'max']);
  });

  it('na.fill and na.drop', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        [10, 80.5, 'Alice', null],
        [5, null, 'Bob', null],
        [null, null, 'Tom', null],
        [null, null, null, true],
      ],
      'age int, height double, name string, bool boolean',
    );
    expect(await df.na.fill(50).collect()).toEqual([
      { age: 10, height: 80.5, name: 'Alice', bool: null },
      { age: 5, height: 50, name: 'Bob', bool: null },
      { age: 50, height: 50, name: 'Tom', bool: null },
      { age: 50, height: 50, name: null, bool: true },
    ]);
    expect(await df.na.fill(false).select('bool').collect()).toEqual([{ bool: false }, { bool: false }, { bool: false }, { bool: true }]);
    expect(await df.na.fill({ age: 50, name: 'unknown' }).select('age', 'name').collect()).toEqual([
      { age: 10, name: 'Alice' },
      { age: 5, name: 'Bob' },
      { age: 50, name: 'Tom' },
      { age: 50, name: 'unknown' },
    ]);
    expect(await df.na.drop().count()).toBe(0);
    expect(await df.na.drop('any', undefined, ['age', 'name']).count()).toBe(2);
    expect(await df.na.drop('all', undefined, ['age', 'height']).count()).toBe(2);
    expect(await df.na.drop('any', 2).count()).toBe(2);
  });

  it('show prints the boxed table, truncating as asked', async () => {
    const { df } = people();
    expect(await df.showString()).toBe(
      ['+---+-----+', '|age| name|', '+---+-----+', '|  2|Alice|', '|  5|  Bob|', '+---+-----+', ''].join('\n'),
    );
    expect(await df.showString(1)).toContain('only showing top 1 row');
    expect(await df.showString(20, 3)).toBe(
      ['+---+----+', '|age|name|', '+---+----+', '|  2| Ali|', '|  5| Bob|', '+---+----+', ''].join('\n'),
    );
  });

  it('schema, columns, dtypes and printSchema follow PySpark inference', () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([{ name: 'Alice', age: 2, score: 1.5, ok: true, at: new Date(0), tags: ['a'] }]);
    expect(df.columns).toEqual(['name', 'age', 'score', 'ok', 'at', 'tags']);
    expect(df.dtypes).toEqual([
      ['name', 'string'],
      ['age', 'bigint'],
      ['score', 'double'],
      ['ok', 'boolean'],
      ['at', 'timestamp'],
      ['tags', 'array<string>'],
    ]);
    expect(df.schema.simpleString()).toBe('struct<name:string,age:bigint,score:double,ok:boolean,at:timestamp,tags:array<string>>');
    expect(df.schema.treeString()).toBe(
      [
        'root',
        ' |-- name: string (nullable = true)',
        ' |-- age: long (nullable = true)',
        ' |-- score: double (nullable = true)',
        ' |-- ok: boolean (nullable = true)',
        ' |-- at: timestamp (nullable = true)',
        ' |-- tags: array (nullable = true)',
        ' |    |-- element: string (containsNull = true)',
        '',
      ].join('\n'),
    );
  });

  it('createDataFrame checks values against a declared schema and names the field', () => {
    const ctx = testSession();
    expect(() => ctx.createDataFrame([['Alice', 'two']], 'name string, age int')).toThrow(
      /field age of row 0 was "two", expected a value of type int/,
    );
    expect(() => ctx.createDataFrame([['Alice']], 'name string, age int')).toThrow(/row 0 was \["Alice"\], expected 2 values/);
  });

  it('createDataFrame takes an RDD with a schema', async () => {
    const ctx = testSession();
    const rdd = ctx.rddContext.parallelize(
      [
        { name: 'Alice', age: 2 },
        { name: 'Bob', age: 5 },
      ],
      2,
    );
    const df = ctx.createDataFrame(rdd, 'name string, age int');
    expect(await df.filter('age > 3').collect()).toEqual([{ name: 'Bob', age: 5 }]);
    expect(() => ctx.createDataFrame(rdd)).toThrow(/schema/);
  });

  it('collect returns Dates for timestamps; rdd hands out plain objects', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([{ at: new Date('2026-12-02T10:00:00Z'), n: 1 }]);
    expect(await df.collect()).toEqual([{ at: new Date('2026-12-02T10:00:00Z'), n: 1 }]);
    expect(await df.rdd.map((r) => r.n as number).sum()).toBe(1);
  });

  it('explain shows the plans and the RDD lineage, with the filter pushed down', () => {
    const { df } = people();
    const text = df.filter(F.col('age').gt(3)).select('name').explainString();
    expect(text).toMatch(/== Parsed Logical Plan ==\nProject \[name#\d+\]\n\+- Filter \(age > 3\)\n {3}\+- LocalRelation/);
    expect(text).toContain('== Physical Plan (RDD lineage) ==');
    expect(text).toMatch(/ScanRDD\[\d+\] at LocalRelation/);
  });

  it('cache keeps the computed rows: a second action does not recompute them', async () => {
    const ctx = testSession();
    let computed = 0;
    const rdd = ctx.rddContext.parallelize([1, 2, 3], 3).map((n) => {
      computed++;
      return { n };
    });
    const df = ctx.createDataFrame(rdd, 'n bigint').cache();
    expect(await df.count()).toBe(3);
    expect(await df.filter('n > 1').count()).toBe(2);
    expect(computed).toBe(3);
    df.unpersist();
    await df.count();
    expect(computed).toBe(6);
  });

  it('createOrReplaceTempView makes the DataFrame a SQL table', async () => {
    const { ctx, df } = people();
    df.createOrReplaceTempView('people');
    expect(await ctx.sql('SELECT name FROM people WHERE age > 3').collect()).toEqual([{ name: 'Bob' }]);
    expect(ctx.dropTempView('people')).toBe(true);
    expect(() => ctx.sql('SELECT * FROM people')).toThrow(/table or view 'people' does not exist/);
  });
});
