// What a command returns: the JSON document for `-o json`, and blocks for the human rendering.
// Commands never print; the renderer (render.ts) turns a View into text.

export type Tone = 'good' | 'warn' | 'bad' | 'muted' | 'accent' | 'info';

export interface Styled {
  text: string;
  tone?: Tone;
  bold?: boolean;
  /** A shorter form the renderer may use when the table is wider than the terminal. */
  short?: string;
  /** Different from the previous `--watch` frame: shown in inverse video (with a `*` without colour). */
  changed?: boolean;
}

/** A point in time shown per --time-format: `ago` ("3 seconds and 5 ms ago"), `rough` ("a minute ago"). */
export interface TimeCell {
  time: string;
  style: 'ago' | 'rough';
}

/** A duration: `friendly` ("19m 56s") or `rough` ("15 minutes"). */
export interface DurationCell {
  ms: number;
  style: 'friendly' | 'rough';
}

/** ✅ / ❌ on a colour terminal; [OK]: / [ERR]: otherwise, as restatectl does. */
export interface IconCell {
  icon: 'ok' | 'err';
  changed?: boolean;
}

export type Cell = string | number | Styled | TimeCell | DurationCell | IconCell;

/** How a table may shrink to a terminal narrower than it (never when piped): first cells and
 *  headers use their short forms, then `drop` columns go (in that order, with a note), then `truncate` columns are
 *  cut with `…`. Named by header. */
export interface Fit {
  drop?: string[];
  truncate?: string[];
  /** Shorter headers, used with the cells' short forms. */
  shortHeaders?: Record<string, string>;
}

export interface TableBlock {
  kind: 'table';
  header: string[];
  rows: Cell[][];
  /** One character before each row (and a space before the header), unpadded, like restatectl's
   *  tail marker ▶︎. An empty header prints no header row. */
  markers?: Cell[];
  fit?: Fit;
  /** What each row is about (`2@N3`: partition 2 on node 3), so that `--watch` can tell which cells
   *  changed between frames even when rows come and go; without keys, a row is its first cell. */
  keys?: string[];
}

export type Block = { kind: 'line'; cells: Cell[] } | TableBlock | { kind: 'blank' };

/** One item of a multi-item command that failed; the others still ran. */
export interface ItemFailure {
  /** What failed, e.g. `log 9`. */
  item: string;
  message: string;
  hint?: string;
  exitCode: number;
}

export interface View {
  json: unknown;
  blocks: Block[];
  /** Printed to stderr as `error: <item>: <message>` lines; the exit code is the most severe one. */
  failures?: ItemFailure[];
  /** Printed to stderr in both modes. */
  warnings?: string[];
  /** The exit code when nothing failed but the answer itself is "not good" (doctor's findings). */
  exitCode?: number;
}

export const line = (...cells: Cell[]): Block => ({ kind: 'line', cells });
export const table = (header: string[], rows: Cell[][], options: { markers?: Cell[]; fit?: Fit; keys?: string[] } = {}): TableBlock => ({ kind: 'table', header, rows, ...options });
export const blank: Block = { kind: 'blank' };
export const styled = (text: string, tone?: Tone, bold?: boolean): Styled => ({ text, tone, bold });
export const shortened = (text: string, short: string, tone?: Tone): Styled => ({ text, short, tone });
