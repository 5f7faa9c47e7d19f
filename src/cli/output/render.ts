// The one renderer: a View becomes JSON (-o json) or text with tables in restatectl's compact
// layout (one space of padding per cell, no borders) or with rounded borders (--table-style).
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { friendlyDuration, preciseAgo, rfc2822, roughDuration } from './time';
import type { Block, Cell, Tone, View } from './view';

export interface RenderOptions {
  output: 'table' | 'json';
  tableStyle: 'compact' | 'borders';
  timeFormat: 'human' | 'iso8601' | 'rfc2822';
  colorLevel: 0 | 1 | 2 | 3;
  now?: Date;
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
    case 'table': {
      const compact = options.tableStyle === 'compact';
      const table = new Table({
        head: block.header.map((h) => chalk.bold(h)),
        chars: compact ? NO_BORDERS : ROUNDED,
        // cli-table3 colours headers and borders by itself unless told not to; colour is ours.
        style: { head: [], border: [], compact, 'padding-left': 1, 'padding-right': 1 },
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
  }
}

function paint(chalk: ChalkInstance, tone: Tone | undefined, value: string): string {
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
  if ('icon' in cell) return options.colorLevel > 0 ? (cell.icon === 'ok' ? '✅' : '❌') : cell.icon === 'ok' ? '[OK]:' : '[ERR]:';
  const painted = paint(chalk, cell.tone, cell.text);
  return cell.bold ? chalk.bold(painted) : painted;
}
