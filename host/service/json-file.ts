/**
 * A small JSON document on disk, validated with zod on every read and written atomically
 * (write a temporary file opened with O_SYNC, then rename) so a crash never leaves half a file.
 * O_SYNC rather than fsync: Node's permission model, under which the service runs, refuses
 * fsync (and the other descriptor-only calls) outright.
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';

export class JsonFile<S extends z.ZodType> {
  constructor(
    readonly path: string,
    private readonly schema: S,
  ) {}

  /** The stored value, or `fallback()` when there is none. A file that exists but does not
   * validate is an error (never silently replaced: that would lose data). */
  read(fallback: () => z.output<S>): z.output<S> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback();
      throw error;
    }
    const parsed = this.schema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.path} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }

  write(value: z.input<S>): void {
    const data = this.schema.parse(value);
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    // O_SYNC: each write returns once its data is on disk.
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_SYNC);
    try {
      writeSync(fd, JSON.stringify(data, null, 2));
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
  }
}
