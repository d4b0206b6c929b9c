/**
 * Connection flows driven through the protocol, as a UI would drive them. Shared by the
 * integration tests and the benchmarks.
 */
import type { AttemptSummary, ConnectionSummary } from '../../../core/protocol';
import type { ServiceClient } from '../../../core/protocol/client';

/** Remembers the latest summary of every attempt and connection a client has heard of, so a
 * wait never misses an event that arrived before the caller knew the id. */
export class Tracker {
  readonly attempts = new Map<string, AttemptSummary>();
  readonly connections = new Map<string, ConnectionSummary>();
  #waiters = new Set<() => void>();
  #offs: (() => void)[];

  constructor(readonly client: ServiceClient) {
    this.#offs = [
      client.on('attempt.updated', (a) => {
        this.attempts.set(a.id, a);
        this.#wake();
      }),
      client.on('connection.updated', (c) => {
        this.connections.set(c.id, c);
        this.#wake();
      }),
    ];
  }

  /** Stop following the client's events. */
  stop(): void {
    for (const off of this.#offs.splice(0)) off();
  }

  attempt(id: string, predicate: (a: AttemptSummary) => boolean): Promise<AttemptSummary> {
    return this.#until(() => {
      const a = this.attempts.get(id);
      return a && predicate(a) ? a : undefined;
    });
  }

  connection(id: string, predicate: (c: ConnectionSummary) => boolean): Promise<ConnectionSummary> {
    return this.#until(() => {
      const c = this.connections.get(id);
      return c && predicate(c) ? c : undefined;
    });
  }

  /** The first connection (by arrival) that matches. */
  anyConnection(predicate: (c: ConnectionSummary) => boolean): Promise<ConnectionSummary> {
    return this.#until(() => [...this.connections.values()].find(predicate));
  }

  /** The first attempt (by arrival) that matches. */
  anyAttempt(predicate: (a: AttemptSummary) => boolean): Promise<AttemptSummary> {
    return this.#until(() => [...this.attempts.values()].find(predicate));
  }

  /** Resolves once the connections heard of so far, taken together, satisfy `predicate`. */
  allConnections(predicate: (all: ConnectionSummary[]) => boolean): Promise<void> {
    return this.#until(() => (predicate([...this.connections.values()]) ? true : undefined)).then(() => undefined);
  }

  #until<T>(check: () => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const now = check();
      if (now !== undefined) return resolve(now);
      const waiter = () => {
        const value = check();
        if (value === undefined) return;
        this.#waiters.delete(waiter);
        resolve(value);
      };
      this.#waiters.add(waiter);
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Sends `payloads` from `from` on its connection `fromId` and resolves with what `to` received
 * on `toId` over `channel`, in order (listening first, so nothing is missed). */
export async function messages(from: Tracker, fromId: string, to: Tracker, toId: string, channel: string, payloads: unknown[]): Promise<unknown[]> {
  await to.client.request('connections.listen', { connectionId: toId, channel });
  const received: unknown[] = [];
  const all = new Promise<void>((resolve) => {
    const off = to.client.on('connection.message', (m) => {
      if (m.connectionId !== toId || m.channel !== channel) return;
      received.push(m.message);
      if (received.length === payloads.length) {
        off();
        resolve();
      }
    });
  });
  for (const message of payloads) await from.client.request('connections.send', { connectionId: fromId, channel, message: message as never });
  await all;
  return received;
}

export interface Connected {
  /** Connection ids on each side. */
  inviter: string;
  answerer: string;
  /** The manual flow's invite and reply codes, as people would pass them on. */
  codes?: { invite: string; reply: string };
}

/** Invite with `method`; resolves once the invite link is ready (and, for manual, the question). */
export async function invite(inviter: Tracker, method: string): Promise<AttemptSummary> {
  const started = await inviter.client.request('attempts.invite', { method });
  return inviter.attempt(started.id, (a) => !!a.invite && (method !== 'manual' || !!a.question));
}

/** The manual flow: invite, open the link, approve, paste the reply code back. */
export async function connectManual(inviter: Tracker, answerer: Tracker): Promise<Connected> {
  const invited = await invite(inviter, 'manual');
  const request = await answerer.client.request('links.open', { link: invited.invite!.link });
  await answerer.client.request('attempts.approve', { attemptId: request.id });
  const code = (await answerer.attempt(request.id, (a) => a.displays.length > 0)).displays[0]!.code!;
  await inviter.client.request('attempts.answer', { attemptId: invited.id, questionId: invited.question!.id, answer: code });
  return { ...(await bothOpen(inviter, invited.id, answerer, request.id)), codes: { invite: invited.invite!.code!, reply: code } };
}

/** The broker flow: invite, open the link, approve; the broker carries the rest. */
export async function connectBroker(inviter: Tracker, answerer: Tracker, method = 'peerjs'): Promise<Connected> {
  const invited = await invite(inviter, method);
  const request = await answerer.client.request('links.open', { link: invited.invite!.link });
  await answerer.client.request('attempts.approve', { attemptId: request.id });
  return bothOpen(inviter, invited.id, answerer, request.id);
}

async function bothOpen(inviter: Tracker, inviteId: string, answerer: Tracker, requestId: string): Promise<Connected> {
  const failed = (a: AttemptSummary) => a.state === 'failed' || a.state === 'rejected' || a.state === 'cancelled';
  const settle = async (tracker: Tracker, id: string) => {
    const a = await tracker.attempt(id, (s) => s.state === 'open' || failed(s));
    if (a.state !== 'open') throw new Error(`attempt ${id} ${a.state}: ${a.error?.message ?? ''}`);
    return a.connectionId!;
  };
  const [a, b] = await Promise.all([settle(inviter, inviteId), settle(answerer, requestId)]);
  return { inviter: a, answerer: b };
}
