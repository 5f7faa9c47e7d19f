// The one renderer: a View becomes JSON (-o json) or text with tables in restatectl's compact
// layout (one space of padding per cell, no borders) or with rounded borders (--table-style).
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { friendlyDuration, preciseAgo, rfc2822, roughDuration } from './time';
import type { Block, Cell, IconCell, Styled, TableBlock, Tone, View } from './view';

export interface RenderOptions {
  output: 'table' | 'json';
  tableStyle: 'compact' | 'borders';
  timeFormat: 'human' | 'iso8601' | 'rfc2822';
  colorLevel: 0 | 1 | 2 | 3;
  now?: Date;
  /** The terminal's width: wider tables shrink to it. Unset when piped (nothing is cut). */
  width?: number;
}

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

const ROUNDED = { 'top-left': '╭', 'top-right': '╮', 'bottom-left': '╰', 'bottom-right': '╯' };

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function render(view: View, options: RenderOptions): string {
  if (options.output === 'json') return renderJson(view.json);
  const chalk = new Chalk({ level: options.colorLevel });
  const now = options.now ?? new Date();
  const text = (cell: Cell) => cellText(cell, chalk, options, now);
  return view.blocks.map((block) => `${renderBlock(block, chalk, options, text)}\n`).join('');
}

function renderBlock(block: Block, chalk: ChalkInstance, options: RenderOptions, text: (c: Cell) => string): string {
  switch (block.kind) {
    case 'blank':
      return '';
    case 'line':
      return block.cells.map(text).join('');
    case 'table':
      return options.width === undefined ? renderTable(block, chalk, options, text) : fitTable(block, chalk, options, text, options.width);
  }
}

const ANSI = /\u001b\[[0-9;]*m/g;
/** Columns a rendered line takes (ANSI codes and variation selectors take none). */
const visibleWidth = (line: string) => [...line.replace(ANSI, '').replace(/[\ufe0e\ufe0f]/g, '')].length;
const widest = (rendered: string) => Math.max(0, ...rendered.split('\n').map(visibleWidth));

/** Shrinks a table to `width`: short forms, then dropped columns (noted), then truncated cells. */
function fitTable(block: TableBlock, chalk: ChalkInstance, options: RenderOptions, text: (c: Cell) => string, width: number): string {
  let rendered = renderTable(block, chalk, options, text);
  if (widest(rendered) <= width) return rendered;
  const shortText = (cell: Cell) => (typeof cell === 'object' && 'short' in cell && cell.short !== undefined ? text({ ...cell, text: cell.short }) : text(cell));
  // Columns are found by their full header names; what is shown may be the short one.
  let names = block.header;
  const shortHeaders = block.fit?.shortHeaders ?? {};
  let current: TableBlock = { ...block, header: names.map((name) => shortHeaders[name] ?? name) };
  rendered = renderTable(current, chalk, options, shortText);
  const dropped: string[] = [];
  for (const name of block.fit?.drop ?? []) {
    if (widest(rendered) <= width) break;
    const index = names.indexOf(name);
    if (index < 0) continue;
    names = names.filter((_, i) => i !== index);
    current = { ...current, header: current.header.filter((_, i) => i !== index), rows: current.rows.map((row) => row.filter((_, i) => i !== index)) };
    dropped.push(name);
    rendered = renderTable(current, chalk, options, shortText);
  }
  const excess = widest(rendered) - width;
  const truncatable = (block.fit?.truncate ?? []).map((name) => names.indexOf(name)).filter((i) => i >= 0);
  if (excess > 0 && truncatable.length) {
    // Natural column widths, then take the excess from the truncatable columns, widest first.
    const widths = current.header.map((h, i) => Math.max(visibleWidth(h), ...current.rows.map((row) => visibleWidth(shortText(row[i] ?? '')))) + 2);
    let left = excess;
    for (const i of [...truncatable].sort((a, b) => widths[b]! - widths[a]!)) {
      const take = Math.min(left, widths[i]! - MIN_TRUNCATED_WIDTH);
      if (take <= 0) continue;
      widths[i] = widths[i]! - take;
      left -= take;
    }
    rendered = renderTable(current, chalk, options, shortText, widths);
  }
  if (!dropped.length) return rendered;
  const note = `(${dropped.length === 1 ? 'column' : 'columns'} ${dropped.join(', ')} hidden to fit ${width} columns; a wider terminal or -o json shows ${dropped.length === 1 ? 'it' : 'them'})`;
  return `${rendered}\n${chalk.gray(wrapWords(note, width))}`;
}

/** Breaks text between words so that no line is wider than `width`. */
function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...lines, current].join('\n');
}

/** A truncated column keeps room for a few characters and the `…`. */
const MIN_TRUNCATED_WIDTH = 6;

function renderTable(block: TableBlock, chalk: ChalkInstance, options: RenderOptions, text: (c: Cell) => string, colWidths?: number[]): string {
  const compact = options.tableStyle === 'compact';
  const table = new Table({
    head: block.header.map((h) => chalk.bold(h)),
    chars: compact ? NO_BORDERS : ROUNDED,
    // cli-table3 colours headers and borders by itself unless told not to; colour is ours.
    style: { head: [], border: [], compact, 'padding-left': 1, 'padding-right': 1 },
    ...(colWidths ? { colWidths } : {}),
  });
  for (const row of block.rows) table.push(row.map(text));
  const rendered = table.toString();
  if (!block.markers) return rendered;
  // Markers sit outside the table, one per row line; the header and border lines get a space.
  let headerSeen = block.header.length === 0;
  let row = 0;
  return rendered
    .split('\n')
    .map((line) => {
      if (!(compact || line.startsWith('│')) || !headerSeen) {
        headerSeen ||= compact || line.startsWith('│');
        return ` ${line}`;
      }
      const marker = block.markers![row++];
      return `${(marker === undefined ? '' : text(marker)) || ' '}${line}`;
    })
    .join('\n');
}

export function paint(chalk: ChalkInstance, tone: Tone | undefined, value: string): string {
  switch (tone) {
    case 'good':
      return chalk.green(value);
    case 'warn':
      return chalk.yellow(value);
    case 'bad':
      return chalk.red(value);
    case 'muted':
      return chalk.gray(value);
    case 'accent':
      return chalk.magenta(value);
    case 'info':
      return chalk.blue(value);
    default:
      return value;
  }
}

function cellText(cell: Cell, chalk: ChalkInstance, options: RenderOptions, now: Date): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number') return String(cell);
  if ('time' in cell) {
    const date = new Date(cell.time);
    if (options.timeFormat === 'iso8601') return date.toISOString();
    if (options.timeFormat === 'rfc2822') return rfc2822(date);
    const elapsed = now.getTime() - date.getTime();
    if (cell.style === 'ago') return preciseAgo(elapsed);
    const rough = roughDuration(elapsed);
    return rough === 'now' ? rough : `${rough} ago`;
  }
  if ('ms' in cell) return cell.style === 'friendly' ? friendlyDuration(cell.ms) : roughDuration(cell.ms);
  const shown = 'icon' in cell ? iconText(cell, options) : styledText(cell, chalk);
  if (!cell.changed) return shown;
  return options.colorLevel > 0 ? chalk.inverse(shown) : `${shown}*`;
}

function iconText(cell: IconCell, options: RenderOptions): string {
  return options.colorLevel > 0 ? (cell.icon === 'ok' ? '✅' : '❌') : cell.icon === 'ok' ? '[OK]:' : '[ERR]:';
}

function styledText(cell: Styled, chalk: ChalkInstance): string {
  const painted = paint(chalk, cell.tone, cell.text);
  return cell.bold ? chalk.bold(painted) : painted;
}
