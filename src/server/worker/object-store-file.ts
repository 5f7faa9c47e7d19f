// The file:// object store: one file per object under a folder. Every write goes to a hidden
// temporary name, is fsynced, renamed into place, and the folder is fsynced, so that an object that
// is visible is complete and survives a crash (trimming relies on published snapshots).
import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ObjectStoreError, type ObjectStore } from './object-store';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FileObjectStore implements ObjectStore {
  constructor(
    readonly url: string,
    private readonly root: string,
  ) {}

  urlOf(key: string): string {
    return `${this.url.replace(/\/+$/, '')}/${key}`;
  }

  private file(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  private fail(action: string, key: string, err: unknown): never {
    throw new ObjectStoreError(`cannot ${action} ${this.urlOf(key)}: ${(err as Error).message}`, isMissing(err));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.file(key));
    } catch (err) {
      if (isMissing(err)) return undefined;
      this.fail('read', key, err);
    }
  }

  async getStream(key: string): Promise<Readable> {
    try {
      // Opened here, so that a missing object fails now rather than in the middle of a pipeline.
      const handle = await open(this.file(key), constants.O_RDONLY);
      return handle.createReadStream();
    } catch (err) {
      this.fail('read', key, err);
    }
  }

  put(key: string, body: string | Buffer): Promise<void> {
    return this.replace(key, async (temporary) => {
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  putFile(key: string, file: string): Promise<void> {
    return this.replace(key, async (temporary) => {
      // The kernel copies (libuv uses sendfile): no bytes pass through this process.
      await copyFile(file, temporary, constants.COPYFILE_EXCL);
      await fsyncPath(temporary);
    });
  }

  /** Writes through a hidden temporary file, renamed into place once durable, then fsyncs the folder. */
  private async replace(key: string, write: (temporary: string) => Promise<void>): Promise<void> {
    const target = this.file(key);
    const dir = path.dirname(target);
    const temporary = path.join(dir, `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await this.makeDirs(dir);
      await write(temporary);
      await rename(temporary, target);
      await fsyncPath(dir);
    } catch (err) {
      await rm(temporary, { force: true }).catch(() => undefined);
      this.fail('write', key, err);
    }
  }

  /** Creates missing folders, fsyncing each parent so that the new entries survive a crash. */
  private async makeDirs(dir: string): Promise<void> {
    try {
      await stat(dir);
      return;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    const parent = path.dirname(dir);
    if (parent !== dir) await this.makeDirs(parent);
    await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await fsyncPath(parent);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (relative: string) => {
      let entries;
      try {
        entries = await readdir(this.file(relative), { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        this.fail('list', relative, err);
      }
      for (const entry of entries) {
        // Hidden names are temporary files of writes in progress (or cut short by a crash).
        if (entry.name.startsWith('.')) continue;
        const key = `${relative}${entry.name}`;
        if (entry.isDirectory()) await walk(`${key}/`);
        else keys.push(key);
      }
    };
    await walk(prefix);
    return keys.sort();
  }

  async delete(keys: string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      await rm(this.file(key), { force: true }).catch((err) => this.fail('delete', key, err));
      dirs.add(path.dirname(this.file(key)));
    }
    // A snapshot's folder goes with its last object; one that still holds something stays.
    for (const dir of dirs) if (dir !== this.root) await rmdir(dir).catch(() => undefined);
  }

  close(): void {}
}
