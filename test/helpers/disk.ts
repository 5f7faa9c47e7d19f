// A real full disk for tests and the chaos suite: a file written until the file system refuses.
import { open } from 'node:fs/promises';

/** Writes to `file` until ENOSPC, in big chunks then small ones, down to its last bytes; returns the bytes written. */
export async function fillDisk(file: string): Promise<number> {
  const handle = await open(file, 'a');
  let written = 0;
  try {
    for (const chunk of [Buffer.alloc(1 << 20, 1), Buffer.alloc(4096, 1), Buffer.alloc(64, 1)]) {
      for (;;) {
        try {
          written += (await handle.write(chunk)).bytesWritten;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}
