// Commands that act on several items (logs, partitions): each item runs even when another fails,
// each failure is reported on its own `error:` line, and the JSON entry of a failed item carries
// the same keys as a good one, with `error` set.
import { mapError, type CliError } from './errors';
import type { ItemFailure } from './output/view';

export interface ItemResult<I, T> {
  item: I;
  value: T | null;
  failure: CliError | null;
}

/** Runs `work` for every item (one after the other, or all at once with `parallel`). */
export async function eachItem<I, T>(items: readonly I[], work: (item: I) => Promise<T>, options: { parallel?: boolean } = {}): Promise<Array<ItemResult<I, T>>> {
  const attempt = async (item: I): Promise<ItemResult<I, T>> => {
    try {
      return { item, value: await work(item), failure: null };
    } catch (err) {
      return { item, value: null, failure: mapError(err) };
    }
  };
  if (options.parallel) return Promise.all(items.map(attempt));
  const results: Array<ItemResult<I, T>> = [];
  for (const item of items) results.push(await attempt(item));
  return results;
}

export function failuresOf<I, T>(results: ReadonlyArray<ItemResult<I, T>>, label: (item: I) => string): ItemFailure[] {
  return results.flatMap(({ item, failure }) =>
    failure ? [{ item: label(item), message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}), exitCode: failure.exitCode }] : [],
  );
}

/** `results` as JSON entries: a good item's fields, or a failed one's with every field null. */
export function itemEntries<I, T, E extends object>(
  results: ReadonlyArray<ItemResult<I, T>>,
  entry: (item: I, value: T | null) => E,
): Array<E & { error: string | null }> {
  return results.map(({ item, value, failure }) => ({ ...entry(item, value), error: failure ? failure.message : null }));
}
