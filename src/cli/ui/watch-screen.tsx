// The live screen of `--watch` on a terminal: ink redraws the frame in place (only the lines that
// changed), and reads q (quit) and Ctrl-C (interrupted) from the keyboard. It only draws: the
// frame's text (the command's tables, highlights and event lines) is made by the CLI's renderer.
import { Box, render, Text, useInput, useStdin } from 'ink';

export interface WatchFrame {
  /** Already rendered lines (colour as the CLI decided it), top to bottom, fitted to the terminal. */
  lines: string[];
}

export type WatchStop = 'quit' | 'interrupted';

export interface WatchScreen {
  show(frame: WatchFrame): void;
  /** Settles when q or Ctrl-C is typed (never, when stdin is not a terminal: then SIGINT stops). */
  stopped: Promise<WatchStop>;
  /** Takes the screen down: the last frame stays, the cursor is shown, the terminal leaves raw mode. */
  close(): Promise<void>;
}

function Screen({ frame, onStop }: { frame: WatchFrame; onStop: (how: WatchStop) => void }) {
  // Without a terminal on stdin there are no keys to read (and raw mode would throw).
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') onStop('interrupted');
      else if (input === 'q' || input === 'Q' || key.escape) onStop('quit');
    },
    { isActive: isRawModeSupported === true },
  );
  return (
    <Box flexDirection="column">
      {frame.lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line || ' '}
        </Text>
      ))}
    </Box>
  );
}

/** Draws on `stdout` and reads keys from `stdin` (when it is a terminal). */
export function watchScreen(stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream): WatchScreen {
  let stop: (how: WatchStop) => void = () => {};
  const stopped = new Promise<WatchStop>((resolve) => (stop = resolve));
  const draw = (frame: WatchFrame) => <Screen frame={frame} onStop={stop} />;
  const app = render(draw({ lines: [] }), { stdout, stdin, exitOnCtrlC: false, patchConsole: false, incrementalRendering: true });
  return {
    show: (frame) => app.rerender(draw(frame)),
    stopped,
    close: async () => {
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
