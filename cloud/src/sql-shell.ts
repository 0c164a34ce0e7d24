import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Attribute, parseDataType, type Row, StringType, showString } from '@fogline/shared';

/** Lines of shell history kept in the history file, at most (the oldest go first). */
export const historyLinesMax = 1000;
const historyFile = () => process.env.FOGLINE_SQL_HISTORY ?? join(homedir(), '.fogline_sql_history');

export type Request = (path: string, init?: RequestInit) => Promise<Response>;

interface Result {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
}

/** A result as spark-sql prints one: the boxed table, then the row count and the time. */
export function formatResult(result: Result): string {
  const output = result.columns.map((c, i): Attribute => {
    let dataType = StringType;
    try {
      dataType = parseDataType(c.type);
    } catch {
      // a struct prints as its JSON text
    }
    return { exprId: i, name: c.name, dataType, nullable: true, qualifiers: [] };
  });
  // JSON carries timestamps as ISO-8601 text: back to epoch ms for the table's own formatting.
  const rows: Row[] = result.rows.map((row) =>
    row.map((v, i) => (output[i]!.dataType.kind === 'timestamp' && typeof v === 'string' ? Date.parse(v) : v)),
  );
  const table = showString(output, rows, rows.length, false, false);
  const count = `${rows.length} row${rows.length === 1 ? '' : 's'}${result.truncated ? ' (cut at the server sql.rowsMax)' : ''} in ${(result.elapsedMs / 1000).toFixed(2)} s`;
  return `${table}${count}\n`;
}

async function runQuery(request: Request, query: string): Promise<Result> {
  const response = await request('/api/v1/sql', {
    method: 'POST',
    body: JSON.stringify({ query }),
    headers: { 'content-type': 'application/json' },
  });
  return (await response.json()) as Result;
}

async function describeTables(request: Request, table?: string): Promise<string> {
  const { tables } = (await (await request('/api/v1/sql/tables')).json()) as {
    tables: { name: string; columns: { name: string; type: string }[] }[];
  };
  if (!table) return `${tables.map((t) => `${t.name} (${t.columns.length} columns)`).join('\n')}\n`;
  const found = tables.find((t) => t.name === table.toLowerCase());
  if (!found) return `no table ${table}; the tables are ${tables.map((t) => t.name).join(', ')}\n`;
  return `${found.columns.map((c) => `${c.name.padEnd(16)} ${c.type}`).join('\n')}\n`;
}

/** One query (-e): the table, or the server's CSV or JSON as it is. */
export async function executeOnce(request: Request, query: string, format: string): Promise<string> {
  if (format === 'table') return formatResult(await runQuery(request, query));
  const response = await request('/api/v1/sql', {
    method: 'POST',
    body: JSON.stringify({ query, format }),
    headers: { 'content-type': 'application/json' },
  });
  return response.text();
}

const help = `Queries end with ';' and may span lines. The tables: windows, hours, days, devices, alerts, risk, archive.
  \\d            list the tables
  \\d <table>    a table's columns and types
  \\q            quit (or Ctrl-D)
`;

/** The interactive shell, as spark-sql's: a prompt, queries ending with ';', history kept across sessions. */
export async function shell(request: Request, base: string): Promise<void> {
  let history: string[] = [];
  try {
    const lines = readFileSync(historyFile(), 'utf8').split('\n').filter(Boolean);
    // The file is cut back to its last historyLinesMax lines at each start, so it never grows past a session's worth more.
    if (lines.length > historyLinesMax) writeFileSync(historyFile(), `${lines.slice(-historyLinesMax).join('\n')}\n`);
    history = lines.slice(-historyLinesMax).reverse();
  } catch {
    // no history yet
  }
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    history,
    historySize: historyLinesMax,
    terminal: process.stdin.isTTY,
  });
  process.stdout.write(`fogline-cloud sql on ${base}; \\d lists the tables, \\q quits, help for more.\n`);
  let pending = '';
  const remember = (line: string) => {
    try {
      mkdirSync(dirname(historyFile()), { recursive: true });
      appendFileSync(historyFile(), `${line.replaceAll('\n', ' ')}\n`);
    } catch {
      // a read-only home keeps the history for this session only
    }
  };
  const prompt = () => {
    rl.setPrompt(pending ? '         > ' : 'fogline-sql> ');
    rl.prompt();
  };
  prompt();
  // The line iterator buffers what arrives while a query runs (a script piped in, a paste).
  for await (const line of rl) {
    const trimmed = line.trim();
    if (!pending && (trimmed === '\\q' || trimmed === 'exit' || trimmed === 'quit')) break;
    if (!pending && trimmed === 'help') process.stdout.write(help);
    else if (!pending && trimmed.startsWith('\\d')) {
      remember(trimmed);
      process.stdout.write(await describeTables(request, trimmed.slice(2).trim() || undefined).catch((e: Error) => `${e.message}\n`));
    } else {
      pending = pending ? `${pending}\n${line}` : line;
      if (trimmed.endsWith(';')) {
        const query = pending.trim().replace(/;+$/, '');
        pending = '';
        if (query) {
          remember(query);
          process.stdout.write(await runQuery(request, query).then(formatResult, (e: Error) => `error: ${e.message}\n`));
        }
      }
    }
    prompt();
  }
  rl.close();
}
