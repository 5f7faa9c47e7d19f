// Interactive pieces (ink). Bundled separately and imported only when a person is at a terminal.
import { Box, render, Text, useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';

export type Answer = 'yes' | 'no' | 'interrupted';

interface PromptProps {
  message: string;
  width: number;
  onAnswer: (answer: Answer) => void;
  /** An answer that came from outside the keys (the input ended, or SIGINT). */
  given?: Answer;
}

function ConfirmPrompt({ message, width, onAnswer, given }: PromptProps) {
  const { exit } = useApp();
  const [answer, setAnswer] = useState<Answer | undefined>(undefined);
  useEffect(() => {
    if (given && answer === undefined) setAnswer(given);
  }, [given]);
  useInput((input, key) => {
    if (answer !== undefined) return;
    // Typed before the prompt put the terminal in raw mode, a line ended by Ctrl-D arrives with a
    // NUL where the end-of-input was ("n\0"); the first letter is the answer, a lone end is no.
    const ended = input.includes('\u0000') || input === '\u0004' || (key.ctrl && input === 'd');
    const letter = input.replace(/\u0000/g, '').slice(0, 1).toLowerCase();
    const choice: Answer | undefined =
      key.ctrl && letter === 'c' ? 'interrupted' : letter === 'y' ? 'yes' : letter === 'n' || key.return || key.escape || ended ? 'no' : undefined;
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
  const prompt = (given?: Answer) => <ConfirmPrompt message={message} width={width} given={given} onAnswer={(answer) => (result = answer)} />;
  const app = render(prompt(), { stdout: stderr, stdin: process.stdin, exitOnCtrlC: false, patchConsole: false });
  const closed = () => app.rerender(prompt('no'));
  // Ctrl-C typed before ink has the terminal in raw mode arrives as the signal.
  const interrupted = () => app.rerender(prompt('interrupted'));
  // An end of input typed before raw mode arrives as a lone NUL, which ink passes over.
  const endOfInput = (chunk: Buffer | string) => {
    if (/^[\u0000\u0004]+$/.test(String(chunk))) closed();
  };
  process.stdin.once('end', closed);
  process.stdin.on('data', endOfInput);
  process.once('SIGINT', interrupted);
  try {
    await app.waitUntilExit();
  } finally {
    process.stdin.off('end', closed);
    process.stdin.off('data', endOfInput);
    process.off('SIGINT', interrupted);
  }
  return result;
}

export { watchScreen } from './watch-screen';
