// Interactive pieces (ink). Bundled separately and imported only when a person is at a terminal.
import { Box, render, Text, useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';

export type Answer = 'yes' | 'no' | 'interrupted';

function ConfirmPrompt({ message, width, onAnswer }: { message: string; width: number; onAnswer: (answer: Answer) => void }) {
  const { exit } = useApp();
  const [answer, setAnswer] = useState<Answer | undefined>(undefined);
  useInput((input, key) => {
    if (answer !== undefined) return;
    const letter = input.toLowerCase();
    // Ctrl-D is end of input in a terminal's raw mode: no answer, so no.
    const choice: Answer | undefined =
      key.ctrl && letter === 'c' ? 'interrupted' : letter === 'y' ? 'yes' : letter === 'n' || key.return || key.escape || (key.ctrl && letter === 'd') || input === '\u0004' ? 'no' : undefined;
    if (choice) setAnswer(choice);
  });
  // Exit after the answer has been drawn, so that the last frame echoes it.
  useEffect(() => {
    if (answer === undefined) return;
    onAnswer(answer);
    exit();
  }, [answer]);
  return (
    <Box width={width}>
      <Text wrap="wrap">
        <Text color="yellow">? </Text>
        <Text bold>{message}</Text>
        <Text> (y/N) › </Text>
        {answer !== undefined && <Text color={answer === 'yes' ? 'green' : 'red'}>{answer === 'interrupted' ? '^C' : answer}</Text>}
      </Text>
    </Box>
  );
}

/**
 * Asks a yes/no question on stderr (stdout stays for data), wrapped to `width`; the default is no.
 * Input that ends (Ctrl-D, a closed terminal) answers no; Ctrl-C answers `interrupted`.
 */
export async function confirm(message: string, width: number): Promise<Answer> {
  let result: Answer = 'no';
  const stderr = process.stderr;
  // ink lays out to the stream's width, and redraws a frame as tall as the terminal by clearing the
  // screen (the preview above would go); a terminal that reports no size gets `width` and 24 rows.
  if (!stderr.columns) stderr.columns = width;
  if (!stderr.rows) stderr.rows = 24;
  const app = render(<ConfirmPrompt message={message} width={width} onAnswer={(answer) => (result = answer)} />, {
    stdout: stderr,
    stdin: process.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const closed = () => app.unmount();
  // Ctrl-C typed before ink has the terminal in raw mode arrives as the signal.
  const interrupted = () => {
    result = 'interrupted';
    app.unmount();
  };
  process.stdin.once('end', closed);
  process.once('SIGINT', interrupted);
  try {
    await app.waitUntilExit();
  } finally {
    process.stdin.off('end', closed);
    process.off('SIGINT', interrupted);
  }
  return result;
}
