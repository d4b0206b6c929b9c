/**
 * The short code an instance's keys start with (lmdb-rx-storage.ts). An instance's name (its
 * database, collection and schema version) is long: RxDB names a replication's state
 * `rx-replication-meta-` and 64 hex digits. Written in front of every document and index key it
 * took a third of the file where a sync keeps that state. So each name is given a code once,
 * kept in the same database:
 *
 * - `%!c|<name>` → its code; `%!next` → the number the next code is made from;
 * - a code is `%~` and a number in base 36. In an escaped name `%` only starts an escape, two
 *   hex digits, so no code, registry key or name is another's start. (Keys must not start with
 *   a control character: lmdb's key encoding sets those apart from ordinary keys.)
 *
 * Keys written before codes existed, under the whole name, stay where they are: a name that
 * has keys and no code keeps the name as its prefix.
 */
import type { Database } from 'lmdb';

const REGISTRY = '%!c|';
const NEXT = '%!next';
const CODE_MARK = '%~';

/** Past every key that starts with `prefix` (its last character is `|`). */
export const endOf = (prefix: string) => prefix.slice(0, -1) + '}';

/** The prefix of `name`'s keys, without the `|` that follows it: its code, given now if it has
 * none, or the name itself for keys written before codes. */
export function instanceKeyPrefix(db: Database<string, string>, name: string): string {
  const code = db.get(REGISTRY + name);
  if (code !== undefined) return code;
  for (const _ of db.getKeys({ start: `${name}|`, end: endOf(`${name}|`), limit: 1 })) return name;
  return db.transactionSync(() => {
    const given = db.get(REGISTRY + name);
    if (given !== undefined) return given;
    const next = Number(db.get(NEXT) ?? 0);
    const made = CODE_MARK + next.toString(36);
    db.putSync(NEXT, String(next + 1));
    db.putSync(REGISTRY + name, made);
    return made;
  });
}

/** Forget `name`'s code, with its keys (in the caller's transaction). */
export function forgetInstance(db: Database<string, string>, name: string): void {
  db.removeSync(REGISTRY + name);
}
