// One frame of the `--watch` screen on a terminal, as lines: a title, the command's own rendering
// (its tables, with the cells that changed since the last frame highlighted, then its warnings and
// failures), and at the bottom the latest change events. Fitted to the terminal's height, so that
// the screen redraws in place instead of scrolling.
import { Chalk } from 'chalk';
import type { ChangeEvent } from './changes';
import { paint, render, type RenderOptions } from './render';
import type { View } from './view';

/** How many of the latest events the bottom of the screen keeps. */
export const EVENT_LINES = 3;

export interface StampedEvent extends ChangeEvent {
  at: Date;
}

export interface FrameInput {
  /** The round's view, its changed cells already marked. */
  view: View;
  changedCells: number;
  /** Oldest first; the last EVENT_LINES are shown. */
  events: readonly StampedEvent[];
  /** Why the latest round failed, when it did (the view is then the last good one). */
  roundError?: string;
  intervalMs: number;
  at: Date;
  /** Whether keys are read (stdin is a terminal): q quits; otherwise only Ctrl-C (SIGINT) stops. */
  keys: boolean;
  /** The terminal's rows (24 when it does not say). */
  rows: number;
  render: RenderOptions;
}

/** 24-hour local time of day, as the events are stamped. */
export const clock = (date: Date) => date.toTimeString().slice(0, 8);

export function frameLines(input: FrameInput): string[] {
  const chalk = new Chalk({ level: input.render.colorLevel });
  const changed = input.changedCells ? `${input.changedCells} ${input.changedCells === 1 ? 'cell' : 'cells'} changed${input.render.colorLevel ? '' : ' (marked *)'}` : 'no change';
  const title = [`Every ${input.intervalMs / 1000}s`, clock(input.at), changed, input.keys ? 'q to quit' : 'Ctrl-C to stop'].join(' · ');
  const body = [
    ...render(input.view, input.render).replace(/\n+$/, '').split('\n'),
    ...(input.view.warnings ?? []).map((warning) => paint(chalk, 'warn', `warning: ${warning}`)),
    ...(input.view.failures ?? []).map((failure) => paint(chalk, 'bad', `error: ${failure.item}: ${failure.message}`)),
  ];
  const latest = input.events.slice(-EVENT_LINES).map((event) => `${chalk.gray(clock(event.at))} ${paint(chalk, event.tone, event.text)}`);
  const bottom = [
    '',
    // Under the table, not in it: a cut table never hides that the screen is stale.
    ...(input.roundError ? [paint(chalk, 'bad', `error: ${input.roundError} (showing the last good round)`)] : []),
    chalk.bold('Events'),
    ...(latest.length ? latest : [chalk.gray('none yet: changes between rounds show here')]),
  ];
  // One row stays free: a frame as tall as the terminal would make ink clear the whole screen on every redraw.
  const room = Math.max(1, input.rows - 1 - 2 - bottom.length);
  const shown = body.length > room ? [...body.slice(0, room - 1), chalk.gray(`… ${body.length - room + 1} more lines (a taller terminal shows them)`)] : body;
  return [chalk.bold(title), '', ...shown, ...bottom];
}
