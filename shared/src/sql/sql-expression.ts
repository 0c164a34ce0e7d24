import { createRequire } from 'node:module';
import type { Parser } from 'node-sql-parser';
import { nameToExpr } from './column.js';
import { SqlError } from './errors.js';
import { AggregateCall, countStar, isAggregateName } from './expressions/aggregates.js';
import { Alias, ColumnRef, type Expr, Literal, Star } from './expressions/expression.js';
import { CaseWhen, ScalarFunction, TimeWindow } from './expressions/functions.js';
import { BinaryOp, Cast, In, Like, Logic, parseTimestamp, Unary } from './expressions/operators.js';
import { parseDataType, TimestampType } from './types.js';

// node-sql-parser's Hive grammar is the closest of its dialects to Spark SQL (backticks, CAST
// to Hive types, no reserved-word trouble with `count`, `min`, `max` as column names). It is
// loaded on first use: its grammars cost a process about 30 MB, and a gateway, which imports
// this package for the engine, never parses SQL.
let parser: Parser | undefined;
function sqlParser(): Parser {
  parser ??= new (createRequire(import.meta.url)('node-sql-parser') as typeof import('node-sql-parser')).Parser();
  return parser;
}
export const sqlDialect = { database: 'hive' };

/** A node of node-sql-parser's AST: loosely typed, as the library's own typings are. */
// biome-ignore lint/suspicious/noExplicitAny: the parser's AST is untyped JSON
export type AstNode = any;

/** Parses SQL, turning the parser's error into one that names the token and where it is. */
export function parseSql(text: string, offsetShift = 0): AstNode {
  try {
    return sqlParser().astify(text, sqlDialect);
  } catch (error) {
    const e = error as { location?: { start: { line: number; column: number } }; found?: string | null; message: string };
    if (!e.location) throw new SqlError('SQL_PARSE_ERROR', `syntax error: ${e.message}`, { cause: error });
    const { line, column } = e.location.start;
    const found = e.found === null || e.found === undefined ? 'end of input' : `'${tokenAt(text, e.location.start)}'`;
    const where = line === 1 ? `position ${column - offsetShift}` : `line ${line}, column ${column}`;
    throw new SqlError('SQL_PARSE_ERROR', `syntax error at ${where}: unexpected ${found} in ${JSON.stringify(text.slice(offsetShift))}`, {
      cause: error,
    });
  }
}

function tokenAt(text: string, at: { line: number; column: number }): string {
  const lineText = text.split('\n')[at.line - 1] ?? '';
  const rest = lineText.slice(at.column - 1);
  return /^[A-Za-z_0-9.]+/.exec(rest)?.[0] ?? rest.slice(0, 1);
}

const selectPrefix = 'SELECT ';
/** A SQL expression (`'volts * amps AS power'`, `'age > 3'`) as a column expression. */
export function parseExpression(text: string): Expr {
  const ast = parseSql(`${selectPrefix}${text} FROM __expr`, selectPrefix.length);
  const select = Array.isArray(ast) ? ast[0] : ast;
  if (select.columns.length !== 1)
    throw new SqlError('SQL_PARSE_ERROR', `expected one expression, got ${select.columns.length} in ${JSON.stringify(text)}`);
  return selectItem(select.columns[0]);
}

/** One item of a select list: its expression, aliased when the query names it. */
export function selectItem(item: AstNode): Expr {
  const e = toExpr(item.expr);
  return item.as ? new Alias(e, item.as) : e;
}

const binaryOps: Record<string, string> = {
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  '=': '=',
  '==': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/** Translates one expression of the parser's AST into the engine's expression tree. */
export function toExpr(node: AstNode): Expr {
  switch (node.type) {
    case 'column_ref':
      return columnRef(node);
    case 'number':
    case 'bigint':
      return new Literal(Number(node.value));
    case 'single_quote_string':
    case 'double_quote_string':
    case 'string':
    case 'natural_string':
      return new Literal(String(node.value));
    case 'bool':
    case 'boolean':
      return new Literal(Boolean(node.value));
    case 'null':
      return new Literal(null);
    case 'timestamp':
    case 'datetime':
    case 'date':
      return new Literal(parseTimestamp(String(node.value)), TimestampType);
    case 'star':
      return new Star();
    case 'unary_expr':
      return node.operator === '-' ? new Unary('-', toExpr(node.expr)) : new Unary('NOT', toExpr(node.expr));
    case 'binary_expr':
      return binary(node);
    case 'case':
      return caseWhen(node);
    case 'cast':
      return new Cast(toExpr(node.expr), parseDataType(String(node.target[0]?.dataType ?? node.target.dataType)));
    case 'aggr_func':
      return aggregateCall(String(node.name), node.args);
    case 'function':
      return functionCall(node);
    case 'expr_list':
      if (node.value.length === 1) return toExpr(node.value[0]);
      break;
  }
  throw new SqlError('SQL_UNSUPPORTED', `unsupported SQL expression of type ${node.type}: ${JSON.stringify(node).slice(0, 120)}`);
}

function columnRef(node: AstNode): Expr {
  const column = typeof node.column === 'string' ? node.column : node.column?.expr?.value;
  if (column === '*') return new Star(node.table ?? undefined);
  // `window.start`: a field of the window struct reads as table.column; the planner resolves it.
  return node.table ? new ColumnRef(String(column), String(node.table)) : nameToExpr(`\`${column}\``);
}

function binary(node: AstNode): Expr {
  const op = String(node.operator).toUpperCase();
  const left = toExpr(node.left);
  const list = () => (node.right.type === 'expr_list' ? node.right.value.map(toExpr) : [toExpr(node.right)]);
  switch (op) {
    case 'AND':
    case 'OR':
      return new Logic(op, left, toExpr(node.right));
    case 'IS':
      return node.right.type === 'null' ? new Unary('IS NULL', left) : new BinaryOp('=', left, toExpr(node.right));
    case 'IS NOT':
      return node.right.type === 'null' ? new Unary('IS NOT NULL', left) : new BinaryOp('!=', left, toExpr(node.right));
    case 'IN':
      return new In(left, list());
    case 'NOT IN':
      return new Unary('NOT', new In(left, list()));
    case 'BETWEEN':
    case 'NOT BETWEEN': {
      const [low, high] = list();
      const between = new Logic('AND', new BinaryOp('>=', left, low!), new BinaryOp('<=', left, high!));
      return op === 'BETWEEN' ? between : new Unary('NOT', between);
    }
    case 'LIKE':
      return new Like(left, toExpr(node.right));
    case 'NOT LIKE':
      return new Unary('NOT', new Like(left, toExpr(node.right)));
    case '||':
      return new ScalarFunction('concat', [left, toExpr(node.right)]);
  }
  const mapped = binaryOps[op];
  if (!mapped) throw new SqlError('SQL_UNSUPPORTED', `unsupported operator ${node.operator}`);
  return new BinaryOp(mapped, left, toExpr(node.right));
}

function caseWhen(node: AstNode): Expr {
  const subject = node.expr ? toExpr(node.expr) : undefined;
  const branches: [Expr, Expr][] = [];
  let otherwise: Expr | undefined;
  for (const arg of node.args) {
    if (arg.type === 'when') {
      const cond = toExpr(arg.cond);
      branches.push([subject ? new BinaryOp('=', subject, cond) : cond, toExpr(arg.result)]);
    } else otherwise = toExpr(arg.result);
  }
  return new CaseWhen(branches, otherwise);
}

function aggregateCall(name: string, args: AstNode): Expr {
  const lower = name.toLowerCase();
  const expr = args?.expr;
  if (lower === 'count' && (!expr || expr.type === 'star')) return countStar();
  const arg = toExpr(expr);
  if (lower === 'count' && args.distinct) return new AggregateCall('count_distinct', arg);
  return new AggregateCall(lower, arg, [], lower);
}

function functionCall(node: AstNode): Expr {
  const name = String(node.name?.name?.map((n: AstNode) => n.value).join('.') ?? node.name).toLowerCase();
  const args: AstNode[] = node.args?.value ?? [];
  // A keyword with no parentheses (`date`, `timestamp`, `user`) is a column of that name, as Spark reads it.
  if (node.args_parentheses === false && args.length === 0) return new ColumnRef(name);
  if (name === 'window') return new TimeWindow(toExpr(args[0]), String(args[1]?.value));
  if (isAggregateName(name)) {
    const params = args.slice(1).map((a) => (a.type === 'expr_list' ? a.value.map((v: AstNode) => Number(v.value)) : Number(a.value)));
    return new AggregateCall(name, toExpr(args[0]), params, name);
  }
  return new ScalarFunction(name, args.map(toExpr));
}

export { ColumnRef };
