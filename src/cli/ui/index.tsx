// Interactive pieces (ink). Bundled separately and imported only when a person is at a terminal.
import { Box, render, Text, useApp, useInput } from 'ink';
import { useState } from 'react';

function ConfirmPrompt({ message, onAnswer }: { message: string; onAnswer: (yes: boolean) => void }) {
  const { exit } = useApp();
  const [answer, setAnswer] = useState<boolean | undefined>(undefined);
  useInput((input, key) => {
    if (answer !== undefined) return;
    const choice = input.toLowerCase() === 'y' ? true : input.toLowerCase() === 'n' || key.return || key.escape ? false : undefined;
    if (choice === undefined) return;
    setAnswer(choice);
    onAnswer(choice);
    exit();
  });
  return (
    <Box>
      <Text color="yellow">? </Text>
      <Text bold>{message}</Text>
      <Text> (y/N) › </Text>
      {answer !== undefined && <Text color={answer ? 'green' : 'red'}>{answer ? 'yes' : 'no'}</Text>}
    </Box>
  );
}

/** Asks a yes/no question on stderr (stdout stays for data); the default is no. */
export async function confirm(message: string): Promise<boolean> {
  let result = false;
  const app = render(<ConfirmPrompt message={message} onAnswer={(yes) => (result = yes)} />, {
    stdout: process.stderr,
    stdin: process.stdin,
    exitOnCtrlC: true,
    patchConsole: false,
  });
  await app.waitUntilExit();
  return result;
}
