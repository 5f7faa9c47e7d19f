// `--watch` for the read commands that show a changing cluster (status, partitions list, logs list,
// replicated-loglet servers): the command again every --interval, each round with a fresh
// connection (fresh probes, so a hung node costs a round no more than it costs the command).
// Piped or with -o json: one JSON document per line (NDJSON) per round. On a terminal: a live
// screen (ink) redrawn in place, the cells that changed since the last round highlighted and the
// latest change events at the bottom; q quits (exit 0), Ctrl-C interrupts (130).
import { CommandContext, type Connect } from './context';
import { mapError } from './errors';
import type { GlobalOptions } from './globals';
import { markChangedCells, type MarkedFrame } from './output/changed-cells';
import type { ChangeEvent } from './output/changes';
import { colorLevel, writeErr, writeOut, type IO } from './output/io';
import type { View } from './output/view';
import { EVENT_LINES, frameLines, type StampedEvent } from './output/watch-frame';
import type { Handler } from './registry';
import type { WatchScreen, WatchStop } from './ui/watch-screen';
import { loadUi } from './ui-loader';
import type { WatchArgs } from './watch-options';

/** What happens with each round's outcome: printed as a line, or drawn on the live screen. */
interface RoundSink {
  shown(view: View, ctx: CommandContext): void;
  failed(message: string): void;
  close?(): void;
}

/** Runs the command round after round; the exit code is the last round's (0 after q, 130 after Ctrl-C). */
export async function watch<A extends WatchArgs>(io: IO, globals: GlobalOptions, addressSource: string, handler: Handler<A>, args: A, connect?: Connect): Promise<number> {
  const live = !globals.json && globals.output === 'table' && !!io.stdout.isTTY;
  let stop: (how: WatchStop) => void = () => {};
  let stoppedBy: WatchStop | undefined;
  const stopped = new Promise<WatchStop>((resolve) => (stop = resolve)).then((how) => (stoppedBy = how));
  const interrupted = () => stop('interrupted');
  process.once('SIGINT', interrupted);
  const screen = live ? (await loadUi(io, colorLevel(io, globals.color))).watchScreen(io.stdout as NodeJS.WriteStream, io.stdin as NodeJS.ReadStream) : undefined;
  void screen?.stopped.then(stop);
  const sink = screen ? liveSink(io, screen, handler, args) : lineSink(io);
  let code = 0;
  try {
    for (let round = 1; ; round++) {
      const started = Date.now();
      const ctx = new CommandContext(io, globals, addressSource, connect);
      try {
        const running = handler.run(ctx, args);
        // Stopping does not wait for a round in flight; its connection is closed below.
        running.catch(() => undefined);
        const view = await Promise.race([running, stopped.then(() => undefined)]);
        if (!view) break;
        sink.shown(view, ctx);
        code = view.exitCode ?? 0;
      } catch (err) {
        // A round that failed (the cluster unreachable for a moment) is said, and the next one tried.
        const failure = mapError(err);
        sink.failed(failure.message);
        code = failure.exitCode;
      } finally {
        await ctx.close();
      }
      if (stoppedBy || (args.count !== undefined && round >= args.count)) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, args.interval - (Date.now() - started))))), stopped]);
      clearTimeout(timer);
      if (stoppedBy) break;
    }
  } finally {
    process.off('SIGINT', interrupted);
    sink.close?.();
    await screen?.close();
  }
  return stoppedBy === 'interrupted' ? 130 : stoppedBy === 'quit' ? 0 : code;
}

/** Piped or -o json: each round is the command's JSON document plus `observed_at`, one per line. */
function lineSink(io: IO): RoundSink {
  /** Warnings are said once, not every round. */
  const said = new Set<string>();
  return {
    shown(view) {
      writeOut(io, `${JSON.stringify({ observed_at: new Date().toISOString(), ...(view.json as object) })}\n`);
      for (const warning of view.warnings ?? []) {
        if (!said.has(warning)) writeErr(io, `warning: ${warning}\n`);
        said.add(warning);
      }
    },
    failed: (message) => writeErr(io, `error: ${message}\n`),
  };
}

/** On a terminal: the live screen, redrawn each round and when the terminal is resized. */
function liveSink<A extends WatchArgs>(io: IO, screen: WatchScreen, handler: Handler<A>, args: A): RoundSink {
  const events: StampedEvent[] = [];
  const say = (...said: ChangeEvent[]) => {
    const at = new Date();
    events.push(...said.map((event) => ({ ...event, at })));
    events.splice(0, Math.max(0, events.length - EVENT_LINES));
  };
  /** The latest good round (its cells marked against the one before), and the failure since, if any. */
  let shown: { view: View; marked: MarkedFrame; ctx: CommandContext; at: Date } | undefined;
  let failure: string | undefined;
  const draw = () => {
    if (!shown) return;
    const rows = (io.stdout as { rows?: number }).rows || 24;
    const { marked, ctx, at } = shown;
    screen.show({ lines: frameLines({ view: marked.view, changedCells: marked.changed, events, roundError: failure, intervalMs: args.interval, at, rows, keys: !!io.stdin.isTTY, render: ctx.renderOptions }) });
  };
  io.stdout.on('resize', draw);
  return {
    shown(view, ctx) {
      if (shown) say(...(handler.watchChanges?.(shown.view.json, view.json) ?? []));
      if (failure) say({ text: 'the cluster answers again', tone: 'good' });
      failure = undefined;
      shown = { view, marked: markChangedCells(shown?.view, view), ctx, at: new Date() };
      draw();
    },
    failed(message) {
      // Said once while rounds keep failing the same way; the screen keeps the last good round.
      if (message !== failure) say({ text: `round failed: ${message}`, tone: 'bad' });
      failure = message;
      if (shown) draw();
      else screen.show({ lines: [`error: ${message} (trying again every ${args.interval / 1000}s)`] });
    },
    close: () => io.stdout.off('resize', draw),
  };
}
