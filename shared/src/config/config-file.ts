import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-errors.js';

/**
 * Reads a configuration file (YAML, or JSON, which is YAML too) into a plain object; an
 * absent path gives {}. Every failure is a ConfigError saying what went wrong with the file.
 */
export function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${path} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError([`config file ${path} is not valid YAML or JSON: ${(error as Error).message}`]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError([`(root) was ${JSON.stringify(raw)}, expected a mapping of settings`]);
  return raw as Record<string, unknown>;
}

/** A port given on a command line: an integer from 0 to 65535, else an error saying what it was. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`was ${JSON.stringify(value)}, expected a port from 0 to 65535`);
  return port;
}

/** A count given on a command line: an integer from 1 to max, else an error saying what it was. */
export function parseCount(value: string, max: number): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > max)
    throw new RangeError(`was ${JSON.stringify(value)}, expected a count from 1 to ${max}`);
  return count;
}

/** A commander option parser from a parser that throws saying what the value was (parsePort, parseCount). */
export const optionParser =
  <T>(parse: (value: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };

/** commander option parsers for the CLIs' ports and counts. */
export const portOption = optionParser(parsePort);
export const countOption = (max: number) => optionParser((value) => parseCount(value, max));

/** How a CLI ends on an error: config problems listed with exit code 2, anything else on one line with 1. */
export function exitWithError(program: string, error: unknown): never {
  console.error(error instanceof ConfigError ? error.message : `${program}: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
