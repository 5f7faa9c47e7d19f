// The options of `--watch` (declared apart from the loop in watch.ts, so that building the command
// tree loads nothing more).
import { duration, wholeNumber } from './args';
import { flag, value } from './registry';

export const watchOptions = {
  watch: flag('-w, --watch', 'run again every --interval: a redrawn screen on a terminal, one JSON document per line when piped or with -o json'),
  interval: value('--interval <duration>', 'how often --watch runs the command', { parse: duration(200), default: 2_000, defaultLabel: '2s' }),
  count: value('--count <n>', 'with --watch, stop after n rounds', { parse: wholeNumber('a number of rounds', 1) }),
};

export interface WatchArgs {
  watch: boolean;
  interval: number;
  count?: number;
}
