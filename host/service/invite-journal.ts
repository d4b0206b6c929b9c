/**
 * The invites waiting for an answer, kept in the data folder as they come and go, so that after
 * a restart the user is told which ones ended with it. None survives a restart: a manual
 * invite's offer belongs to a peer connection of the process that ended, and a broker invite's
 * token lived in its memory. A reply to one can never connect, so the person who invited must
 * know to send a new one instead of waiting.
 *
 * The run after the restart lists them as failed attempts (`invite_lost`) next to its own; the
 * journal then holds only this run's invites.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { describe } from '../../core/errors';
import { RemoteClaim, type AttemptSummary } from '../../core/protocol/shapes';
import { JsonFile } from './json-file';

/** More than core lets wait at once (its `maxPendingInvites`): the bound is for a damaged file. */
const MAX_ENTRIES = 256;

const Entry = z.object({
  id: z.string().max(200),
  method: z.string().max(200),
  remote: RemoteClaim,
  invite: z.object({ link: z.string().max(100_000), code: z.string().max(100_000).optional(), text: z.string().max(2_000).optional() }),
});
type Entry = z.infer<typeof Entry>;
const Journal = z.array(Entry).max(MAX_ENTRIES);

export const INVITE_LOST_MESSAGE = 'WhatNext restarted while this invite waited for its answer.';

export class InviteJournal {
  readonly #file: JsonFile<typeof Journal>;
  readonly #waiting = new Map<string, Entry>();
  #lost: AttemptSummary[] = [];
  #stopped = false;

  constructor(
    dataDir: string,
    private readonly log: (level: 'warn', message: string) => void = () => {},
  ) {
    this.#file = new JsonFile(join(dataDir, 'invites.json'), Journal);
  }

  /** Read what the last run left waiting (as lost), and start this run's journal. */
  start(): void {
    try {
      this.#lost = this.#file.read(() => []).map(lostAttempt);
    } catch (error) {
      // Only a notice is lost with a damaged journal; it is started again.
      this.log('warn', `the journal of waiting invites could not be read, so none is reported lost: ${describe(error)}`);
    }
    this.#write();
  }

  /** The invites the last run left waiting, as failed attempts. */
  get lost(): readonly AttemptSummary[] {
    return this.#lost;
  }

  /** Every attempt change: an invite waiting for its answer is kept, one that ended is dropped. */
  record(attempt: AttemptSummary): void {
    if (this.#stopped) return;
    const waiting = attempt.role === 'inviter' && attempt.state === 'connecting' && attempt.invite !== undefined;
    if (waiting === this.#waiting.has(attempt.id)) return;
    if (waiting) this.#waiting.set(attempt.id, { id: attempt.id, method: attempt.method, remote: attempt.remote, invite: attempt.invite! });
    else this.#waiting.delete(attempt.id);
    this.#write();
  }

  /** The service is stopping: the invites still waiting stay in the journal (the attempts
   * cancelled by the shutdown are not their answer). */
  stop(): void {
    this.#stopped = true;
  }

  #write(): void {
    try {
      this.#file.write([...this.#waiting.values()]);
    } catch (error) {
      this.log('warn', `the journal of waiting invites could not be written: ${describe(error)}`);
    }
  }
}

function lostAttempt(entry: Entry): AttemptSummary {
  return {
    id: entry.id,
    method: entry.method,
    role: 'inviter',
    state: 'failed',
    stage: 'signaling',
    remote: entry.remote,
    invite: entry.invite,
    displays: [],
    error: { code: 'invite_lost', message: INVITE_LOST_MESSAGE },
  };
}
