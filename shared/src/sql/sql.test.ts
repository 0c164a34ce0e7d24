import { describe, expect, it } from 'vitest';
import { SqlError } from './errors.js';
import { testSession } from './test-session.js';

const fleet = () => {
  const ctx = testSession();
  ctx
    .createDataFrame(
      [
        ['atm-1', 'lab', 'temp', 20.5, 4],
        ['atm-1', 'lab', 'vibration', 0.3, 4],
        ['atm-2', 'lab', 'temp', 22.5, 2],
        ['atm-3', 'plant', 'temp', 30.0, 6],
        ['atm-3', 'plant', 'vibration', 0.9, null],
      ],
      'device_id string, site string, metric string, mean double, count int',
    )
    .createOrReplaceTempView('hours');
  ctx
    .createDataFrame(
      [
        ['atm-1', 'Lisbon'],
        ['atm-3', 'Porto'],
        ['atm-9', 'Faro'],
      ],
      'device_id string, city string',
    )
    .createOrReplaceTempView('devices');
  return ctx;
};

describe('ctx.sql', () => {
  it('SELECT with WHERE, aliases, ORDER BY and LIMIT', async () => {
    const rows = await fleet()
      .sql("SELECT device_id AS d, mean * 2 AS twice FROM hours WHERE metric = 'temp' AND mean > 21 ORDER BY twice DESC LIMIT 1")
      .collect();
    expect(rows).toEqual([{ d: 'atm-3', twice: 60 }]);
  });

  it('GROUP BY with aggregates, HAVING on an aggregate not selected, ORDER BY an alias', async () => {
    const rows = await fleet()
      .sql('SELECT site, count(*) AS n, avg(mean) AS m, sum(count) FROM hours GROUP BY site HAVING max(mean) > 25 ORDER BY n')
      .collect();
    expect(rows).toEqual([{ site: 'plant', n: 2, m: 15.45, 'sum(count)': 6 }]);
  });

  it('aggregates without GROUP BY, count(DISTINCT), and nulls skipped by aggregates', async () => {
    const rows = await fleet()
      .sql('SELECT count(*) AS rows_, count(count) AS counted, count(DISTINCT device_id) AS devices, min(count) FROM hours')
      .collect();
    expect(rows).toEqual([{ rows_: 5, counted: 4, devices: 3, 'min(count)': 2 }]);
  });

  it('GROUP BY position and ORDER BY position', async () => {
    const rows = await fleet().sql('SELECT metric, max(mean) FROM hours GROUP BY 1 ORDER BY 1 DESC').collect();
    expect(rows).toEqual([
      { metric: 'vibration', 'max(mean)': 0.9 },
      { metric: 'temp', 'max(mean)': 30 },
    ]);
  });

  it('joins: inner ON with table aliases, LEFT JOIN USING, FULL OUTER', async () => {
    const ctx = fleet();
    expect(
      await ctx
        .sql(
          "SELECT h.device_id, d.city FROM hours h JOIN devices d ON h.device_id = d.device_id WHERE h.metric = 'temp' ORDER BY h.device_id",
        )
        .collect(),
    ).toEqual([
      { device_id: 'atm-1', city: 'Lisbon' },
      { device_id: 'atm-3', city: 'Porto' },
    ]);
    expect(
      await ctx
        .sql("SELECT device_id, city FROM hours LEFT JOIN devices USING (device_id) WHERE metric = 'temp' ORDER BY device_id")
        .collect(),
    ).toEqual([
      { device_id: 'atm-1', city: 'Lisbon' },
      { device_id: 'atm-2', city: null },
      { device_id: 'atm-3', city: 'Porto' },
    ]);
    const full = await ctx
      .sql(
        "SELECT device_id FROM (SELECT device_id FROM hours WHERE metric = 'temp') t FULL OUTER JOIN devices USING (device_id) ORDER BY device_id",
      )
      .collect();
    expect(full.map((r) => r.device_id)).toEqual(['atm-1', 'atm-2', 'atm-3', 'atm-9']);
  });

  it('CASE, CAST, IN, BETWEEN, LIKE, IS NULL and scalar functions', async () => {
    const rows = await fleet()
      .sql(
        "SELECT upper(device_id) AS d, CASE WHEN mean > 25 THEN 'hot' WHEN mean > 1 THEN 'warm' ELSE 'n/a' END AS heat, CAST(mean AS int) AS whole, round(mean / 3, 2) AS r, length(site) AS l FROM hours WHERE metric IN ('temp') AND mean BETWEEN 20 AND 30 AND site LIKE 'l%' AND count IS NOT NULL ORDER BY d",
      )
      .collect();
    expect(rows).toEqual([
      { d: 'ATM-1', heat: 'warm', whole: 20, r: 6.83, l: 3 },
      { d: 'ATM-2', heat: 'warm', whole: 22, r: 7.5, l: 3 },
    ]);
  });

  it('window() groups timestamps into tumbling windows, and window.start reads its field', async () => {
    const ctx = testSession();
    ctx
      .createDataFrame([
        { at: new Date('2026-12-02T10:01:00Z'), v: 1 },
        { at: new Date('2026-12-02T10:09:00Z'), v: 2 },
        { at: new Date('2026-12-02T10:11:00Z'), v: 4 },
      ])
      .createOrReplaceTempView('r');
    const rows = await ctx
      .sql(
        "SELECT window.start AS start, sum(v) AS total FROM (SELECT window(at, '10 minutes') AS window, v FROM r) w GROUP BY window.start ORDER BY start",
      )
      .collect();
    expect(rows).toEqual([
      { start: new Date('2026-12-02T10:00:00Z'), total: 3 },
      { start: new Date('2026-12-02T10:10:00Z'), total: 4 },
    ]);
  });

  it('keywords that are column names in Spark (date, timestamp) read as columns', async () => {
    const ctx = testSession();
    ctx
      .createDataFrame([
        { date: '2026-12-01', timestamp: 1 },
        { date: '2026-12-02', timestamp: 2 },
      ])
      .createOrReplaceTempView('t');
    expect(await ctx.sql("SELECT date, timestamp FROM t WHERE date = '2026-12-02'").collect()).toEqual([
      { date: '2026-12-02', timestamp: 2 },
    ]);
  });

  it('UNION ALL and SELECT DISTINCT', async () => {
    const ctx = fleet();
    expect(await ctx.sql('SELECT device_id FROM hours UNION ALL SELECT device_id FROM devices').count()).toBe(8);
    expect(await ctx.sql('SELECT DISTINCT site FROM hours').count()).toBe(2);
  });

  it('a syntax error names the token and its position', () => {
    const ctx = fleet();
    expect(() => ctx.sql('SELECT device_id FROM hours WHERE mean > > 2')).toThrow("syntax error at position 42: unexpected '>'");
    expect(() => ctx.sql('SELECT device_id FROM hours WHERE')).toThrow(/unexpected end of input/);
    const caught = (() => {
      try {
        ctx.sql('SELEC 1');
      } catch (error) {
        return error as SqlError;
      }
    })();
    expect(caught).toBeInstanceOf(SqlError);
    expect(caught?.code).toBe('SQL_PARSE_ERROR');
    expect(caught?.message).toBe('syntax error at position 7: unexpected \'1\' in "SELEC 1"');
  });

  it('an unknown table or column is named, with what there is', () => {
    const ctx = fleet();
    expect(() => ctx.sql('SELECT x FROM nowhere')).toThrow("table or view 'nowhere' does not exist; known: devices, hours");
    expect(() => ctx.sql('SELECT nope FROM hours')).toThrow(/column 'nope' does not exist; the input has \[hours.device_id/);
    expect(() => ctx.sql('SELECT bogus(mean) FROM hours')).toThrow(/unknown function bogus\(\)/);
  });

  it('refuses anything but a query', () => {
    const ctx = fleet();
    expect(() => ctx.sql("DELETE FROM hours WHERE site = 'lab'")).toThrow('only SELECT queries are allowed, got DELETE');
    expect(() => ctx.sql('DROP TABLE hours')).toThrow(/only SELECT queries are allowed/);
    expect(() => ctx.sql('SELECT 1 FROM hours; SELECT 2 FROM hours')).toThrow(/one statement/);
  });

  it('explain shows a WHERE pushed under the projection', () => {
    const text = fleet().sql("SELECT device_id FROM hours WHERE metric = 'temp'").explainString();
    const optimized = text.split('== Optimized Logical Plan ==')[1]!;
    expect(optimized.indexOf('Project')).toBeLessThan(optimized.indexOf('Filter'));
  });
});
