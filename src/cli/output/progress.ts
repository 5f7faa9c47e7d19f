// A one-line progress note on stderr while something slow runs, only on a terminal (never in pipes
// or logs), cleared when done.
import type { IO } from './io';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export async function withProgress<T>(io: IO, label: string, work: () => Promise<T>): Promise<T> {
  if (!io.stderr.isTTY) return work();
  const started = Date.now();
  let frame = 0;
  const draw = () => io.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)}s\u001b[K`);
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    io.stderr.write('\r\u001b[K');
  }
}
