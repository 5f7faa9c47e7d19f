// Parsers of option and argument values, shared by every command. A bad value becomes commander's
// InvalidArgumentError, so the CLI prints the flag, the value and what was expected, and exits 2.
import { InvalidArgumentError } from 'commander';
import { parseIdRange } from '../api/ids';

/** Turns a parser that throws into one commander reports as a usage error. */
export const asArgument =
  <T>(parse: (value: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };

/** A whole number within [min, max]; `what` names it in the message (e.g. "an LSN"). */
export const wholeNumber =
  (what: string, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected ${what}: a whole number ${range}`);
    }
    return n;
  };

const idRanges = asArgument((text: string) => text.split(',').filter(Boolean).flatMap(parseIdRange));

/** Log or partition ids as restatectl takes them: `0`, `1-4`, repeated or comma-separated. */
export function idList(values: string[]): number[] {
  return [...new Set(values.flatMap(idRanges))].sort((a, b) => a - b);
}
