// What a command returns: the JSON document for `-o json`, and blocks for the human rendering.
// Commands never print; the renderer (render.ts) turns a View into text.

export type Tone = 'good' | 'warn' | 'bad' | 'muted' | 'accent' | 'info';

export interface Styled {
  text: string;
  tone?: Tone;
  bold?: boolean;
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
}

export type Cell = string | number | Styled | TimeCell | DurationCell | IconCell;

export type Block =
  | { kind: 'line'; cells: Cell[] }
  /** `markers`: one character before each row (and a space before the header), unpadded, like
   *  restatectl's tail marker ▶︎. An empty header prints no header row. */
  | { kind: 'table'; header: string[]; rows: Cell[][]; markers?: Cell[] }
  | { kind: 'blank' };

export interface View {
  json: unknown;
  blocks: Block[];
  /** Non-zero when the command did part of its work only; the output is still printed. */
  exitCode?: number;
  /** Printed to stderr in both modes. */
  warnings?: string[];
}

export const line = (...cells: Cell[]): Block => ({ kind: 'line', cells });
export const table = (header: string[], rows: Cell[][], markers?: Cell[]): Block => ({ kind: 'table', header, rows, markers });
export const blank: Block = { kind: 'blank' };
export const styled = (text: string, tone?: Tone, bold?: boolean): Styled => ({ text, tone, bold });
