// Parsers of option and argument values, shared by every command. A bad value becomes commander's
// InvalidArgumentError, so the CLI prints the flag, the value and what was expected, and exits 2.
import { InvalidArgumentError } from 'commander';
import { parseIdRange, parsePlainId } from '../api/ids';

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

/** A duration such as `2s`, `500ms` or `1m` (a bare number is seconds), in milliseconds, at least `minMs`. */
export const duration =
  (minMs: number) =>
  (value: string): number => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
    const ms = match ? Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm'] : NaN;
    if (!(ms >= minMs)) throw new InvalidArgumentError(`expected a duration of at least ${minMs} ms, such as 2s, 500ms or 1m`);
    return Math.round(ms);
  };

/** A whole number within [min, max]; `what` names it in the message (e.g. "an LSN"). */
export const wholeNumber =
  (what: string, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected ${what}: a whole number ${range}`);
    }
    return n;
  };

/** Log or partition ids in one word: `0`, `1-4`, `0,2-3`. */
export const idRanges = asArgument((text: string) => text.split(',').filter(Boolean).flatMap(parseIdRange));

/** Node ids in one word: `N1,N2` or `3`. */
export const nodeIds = asArgument((text: string) => text.split(',').filter(Boolean).map(parsePlainId));

/** Sorted, without repeats. */
export const distinct = (ids: readonly number[]): number[] => [...new Set(ids)].sort((a, b) => a - b);

/** Positional ids as restatectl takes them: `0`, `1-4`, repeated or comma-separated. */
export function idList(raw: string | string[] | undefined): number[] {
  const words = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return distinct(words.flatMap(idRanges));
}
