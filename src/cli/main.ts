// cairnctl entry point. Nothing here may import more than commander: see program.ts.
import { guardStdout, processIO } from './output/io';
import { createProgram } from './program';

const io = processIO();
guardStdout(io);
const program = createProgram(io);
program.parseAsync(process.argv).catch((err: { exitCode?: number; code?: string; message?: string }) => {
  if (err?.code?.startsWith('commander.')) {
    process.exitCode = err.exitCode ?? 2;
    return;
  }
  process.stderr.write(`error: ${err?.message ?? String(err)}\n`);
  process.exitCode = 1;
});
