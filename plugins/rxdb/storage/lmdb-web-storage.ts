/**
 * The Web Storage API (`getItem`, `setItem`, ...) on an LMDB file: the plugin's small records
 * (who is leaving, replication epochs), and the file the RxDB storage opens its own database in
 * (`openDB`). Older versions kept their playlists here too, in RxDB's localstorage layout
 * (legacy-layout.ts moves them).
 *
 * The writes of one tick are committed in ONE LMDB transaction on the next microtask, so a run
 * of `setItem` calls that belong together is wholly on disk or not at all, even after kill -9.
 * Reads are served from memory after the first read of a key.
 */
import { open, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';

export interface LmdbWebStorageOptions {
  /** Called when a commit fails; the memory cache is dropped so reads show what is on disk. */
  onCommitError?: (error: unknown) => void;
}

export class LmdbWebStorage implements Storage {
  readonly #db: RootDatabase<string, string>;
  readonly #cache = new Map<string, string | null>();
  /** Writes since the last commit; null marks a removal. */
  readonly #pending = new Map<string, string | null>();
  readonly #reserved = new Set<string>();
  readonly #onCommitError: (error: unknown) => void;
  #commitScheduled = false;
  #closed = false;
  /** Commits so far (tests and the benchmark read it). */
  commits = 0;

  constructor(
    readonly path: string,
    options: LmdbWebStorageOptions = {},
  ) {
    // remapChunks: the file is mapped a chunk at a time, as reads need it, and a chunk no read
    // holds is let go; mapped whole, every page a bulk write touched stays in the process's
    // resident memory (a 100,000-track sync: the whole file, 300 MB on the side that keeps
    // RxDB's replication state).
    this.#db = open<string, string>({ path, encoding: 'string', noMemInit: true, remapChunks: true });
    this.#onCommitError =
      options.onCommitError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
  }

  /** Another database in the same LMDB file (the RxDB storage's). LMDB keeps its name as a key
   * of this one: once opened here, that key is left out of the keys listed. */
  openDB(name: string, options: { compression?: DatabaseOptions['compression'] } = {}): Database<string, string> {
    this.#reserved.add(name);
    return this.#db.openDB<string, string>({ name, encoding: 'string', ...options });
  }

  get length(): number {
    return this.keysWithPrefix('').length;
  }

  key(index: number): string | null {
    return this.keysWithPrefix('')[index] ?? null;
  }

  getItem(key: string): string | null {
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const stored = this.#db.get(key);
    const value = stored ?? null;
    this.#cache.set(key, value);
    return value;
  }

  setItem(key: string, value: string): void {
    this.#write(key, String(value));
  }

  removeItem(key: string): void {
    this.#write(key, null);
  }

  clear(): void {
    for (const key of this.keysWithPrefix('')) this.#write(key, null);
  }

  /** Every key starting with `prefix`, in key order. */
  keysWithPrefix(prefix: string): string[] {
    const keys = new Set<string>();
    for (const key of this.#db.getKeys({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      if (!this.#reserved.has(key)) keys.add(key);
    }
    for (const [key, value] of this.#cache) {
      if (!key.startsWith(prefix)) continue;
      if (value === null) keys.delete(key);
      else keys.add(key);
    }
    return [...keys].sort();
  }

  /** Commit pending writes now (normally done on the next microtask). */
  flush(): void {
    this.#commitScheduled = false;
    if (this.#pending.size === 0 || this.#closed) return;
    const writes = [...this.#pending];
    this.#pending.clear();
    try {
      this.#db.transactionSync(() => {
        for (const [key, value] of writes) {
          if (value === null) this.#db.removeSync(key);
          else this.#db.putSync(key, value);
        }
      });
      this.commits++;
    } catch (error) {
      this.#cache.clear();
      this.#onCommitError(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#cache.clear();
    await this.#db.close();
  }

  #write(key: string, value: string | null): void {
    if (this.#closed) throw new Error(`the store at ${this.path} is closed`);
    this.#cache.set(key, value);
    this.#pending.set(key, value);
    if (!this.#commitScheduled) {
      this.#commitScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }
}
