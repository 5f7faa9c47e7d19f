// cairnctl entry point. Nothing here may import more than commander: see program.ts.
import { guardStdout, processIO } from './output/io';
import { main } from './program';

const io = processIO();
guardStdout(io);
// The exit code is set, never process.exit(): stdout may still be draining into a pipe.
void main(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
