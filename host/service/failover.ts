/**
 * Failover between signaling methods: a known peer is dialled through the methods that can
 * reach a peer by its id (`SignalingMethod.reach`), one at a time, in the configured order
 * (`Settings.methodOrder`, then every other such method in the config's order).
 *
 * - A method that is down (its server's health is not `connected`) is skipped at once.
 * - A method that is up but silent (no answer from the peer: the attempt is still at the
 *   `signaling` stage) for `silenceMs`, or whose server drops while it waits for one, is given up
 *   (its attempt is cancelled, saying why) and the next is tried.
 * - A method whose attempt fails is followed by the next, unless the peer said no: its user was
 *   asked, and another method would only ask again.
 * - The last method tried gets the whole connect timeout.
 *
 * In turn, not raced: a race sends every broker an offer, so both peers gather and check ICE
 * once per method, the remote is asked once per method, and the pair then closes all but one
 * of the connections that open (`duplicate`). In turn, a method that is down costs nothing (its
 * health says so before any offer), and only a method that looks up but does not carry costs
 * the silence bound. `npm run chaos` measures both orders.
 *
 * The connection reports which method carried it (`ConnectionSummary.method`).
 */
import type { ConnectionManager } from '../../core/kernel/connections';
import type { PluginHost } from '../../core/kernel/host';
import type { AttemptSummary } from '../../core/protocol';
import { WhatNextError, describe } from '../../core/errors';

/** How long a method that looks up may stay silent before the next is tried. A reconnection
 * on loopback is answered within a few hundred milliseconds; across the internet the remote's
 * ICE gathering (with a STUN server) comes first. */
export const DEFAULT_SILENCE_MS = 4000;

/** `attempts.invite` with this method takes the first method, in the failover order, whose
 * server is up (a method that needs none, such as copy & paste, last). */
export const ANY_METHOD = 'any';

export interface FailoverOptions {
  /** The order the user chose (method names; unknown names are ignored). */
  order: () => readonly string[] | undefined;
  silenceMs?: number;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

/** One dial of a peer through the methods in turn. */
export interface FailoverRun {
  /** The first attempt made. */
  readonly attempt: AttemptSummary;
  /** The last attempt's final summary (open, failed, cancelled, rejected). */
  readonly settled: Promise<AttemptSummary>;
}

type Outcome = { kind: 'settled'; attempt: AttemptSummary } | { kind: 'give-up'; why: string } | { kind: 'joined'; connectionId: string };

const FINAL = new Set<AttemptSummary['state']>(['open', 'failed', 'cancelled', 'rejected']);

export class Failover {
  readonly #silenceMs: number;

  constructor(
    private readonly manager: ConnectionManager,
    private readonly host: PluginHost,
    private readonly options: FailoverOptions,
  ) {
    this.#silenceMs = options.silenceMs ?? DEFAULT_SILENCE_MS;
  }

  /** Every installed method, the ones that can reach a peer by id first, in the configured order. */
  order(): string[] {
    const installed = this.host.signaling.list();
    const reaching = installed.filter((m) => m.reach).map((m) => m.name);
    const chosen = (this.options.order() ?? []).filter((name) => reaching.includes(name));
    return [...new Set([...chosen, ...reaching]), ...installed.filter((m) => !m.reach).map((m) => m.name)];
  }

  /** The methods that can reach a peer by id, in order. */
  reachOrder(): string[] {
    return this.order().filter((name) => this.host.signaling.get(name).reach);
  }

  /** Whether a method's server is up now (a method that needs none always is). */
  isUp(method: string): boolean {
    const health = this.manager.health(method);
    return !health || health.state === 'connected';
  }

  /** The method an invite "any" uses: the first in order that is up. */
  firstUp(): string {
    const up = this.order().find((name) => this.isUp(name));
    if (!up) throw new WhatNextError('cannot_reach', `No signaling method is up: ${this.#downList(this.order())}.`);
    return up;
  }

  /** Dial `peer` through the methods that can reach it, in turn. Throws `cannot_reach` (saying
   * which are down) when none is up, and what `ConnectionManager.reach` throws. */
  reach(peer: { id: string; name?: string }): FailoverRun {
    const methods = this.reachOrder();
    const first = methods.find((name) => this.isUp(name));
    if (!first) {
      throw new WhatNextError(
        'cannot_reach',
        methods.length
          ? `No signaling method that can reach a peer by its id is up: ${this.#downList(methods)}.`
          : 'No installed signaling method can reach a peer by its id.',
      );
    }
    this.options.log?.('debug', `reconnecting ${peer.name ?? peer.id} through ${first} (of ${methods.join(', ')})`);
    const attempt = this.manager.reach(first, peer);
    // The ones after it, down now or not: one may be up by the time it is their turn.
    return { attempt, settled: this.#follow(attempt, methods.slice(methods.indexOf(first) + 1), peer) };
  }

  async #follow(attempt: AttemptSummary, rest: string[], peer: { id: string; name?: string }): Promise<AttemptSummary> {
    for (;;) {
      const outcome = await this.#watch(attempt, () => rest.some((name) => this.isUp(name)), peer.id);
      if (outcome.kind === 'joined') return this.#joined(attempt, outcome.connectionId);
      if (outcome.kind === 'settled') {
        const last = outcome.attempt;
        if (last.state === 'open' || !rest.length || !worthAnother(last)) return last;
      } else {
        this.options.log?.('debug', `reconnecting ${peer.name ?? peer.id}: ${attempt.method} ${outcome.why}; trying ${rest[0]}`);
        try {
          this.manager.cancel(attempt.id, `${attempt.method} ${outcome.why}: trying ${rest[0]} instead.`);
        } catch (error) {
          // It settled meanwhile (opened, say): that is the outcome.
          this.options.log?.('debug', `could not give up ${attempt.method}: ${describe(error)}`);
          return this.#final(attempt);
        }
      }
      // Down meanwhile: skipped like at the start.
      while (rest.length && !this.isUp(rest[0]!)) rest.shift();
      const next = rest.shift();
      if (!next) return this.#final(attempt);
      this.options.log?.('debug', `reconnecting ${peer.name ?? peer.id} through ${next}`);
      try {
        attempt = this.manager.reach(next, peer);
      } catch (error) {
        // Connected meanwhile (the peer dialled us), or stopping.
        return { ...attempt, state: 'failed', error: { code: error instanceof WhatNextError ? error.code : 'internal_error', message: describe(error) } };
      }
    }
  }

  /** The attempt's final summary, once it has one. */
  async #final(attempt: AttemptSummary): Promise<AttemptSummary> {
    const outcome = await this.#watch(attempt, () => false, attempt.remote.id);
    if (outcome.kind === 'joined') return this.#joined(attempt, outcome.connectionId);
    return outcome.kind === 'settled' ? outcome.attempt : attempt;
  }

  /** The peer dialled us meanwhile and that connection opened: ours, still waiting for an
   * answer, would only hold the peer's broker inbox until the connect timeout. */
  #joined(attempt: AttemptSummary, connectionId: string): AttemptSummary {
    try {
      this.manager.cancel(attempt.id, 'Connected meanwhile: the peer dialled us.');
    } catch {
      // It settled meanwhile.
    }
    return { ...attempt, state: 'open', connectionId };
  }

  /** Until the attempt settles or its method goes silent or down while `another` (a method
   * after it is up: else there is nothing to move on to, and it keeps the whole connect time). */
  #watch(attempt: AttemptSummary, another: () => boolean, peer: string | undefined): Promise<Outcome> {
    if (FINAL.has(attempt.state)) return Promise.resolve({ kind: 'settled', attempt });
    return new Promise((resolve) => {
      let stage = attempt.stage;
      const stops: (() => void)[] = [];
      const done = (value: Outcome) => {
        for (const stop of stops.splice(0)) stop();
        resolve(value);
      };
      stops.push(
        this.manager.on('attempt', (changed) => {
          if (changed.id !== attempt.id) return;
          stage = changed.stage;
          if (FINAL.has(changed.state)) done({ kind: 'settled', attempt: changed });
        }),
        this.manager.on('connection', (connection) => {
          if (connection.remote.id === peer && connection.state === 'open' && stage === 'signaling') done({ kind: 'joined', connectionId: connection.id });
        }),
      );
      let silent = false;
      const moveOn = () => {
        if (silent && stage === 'signaling' && another()) done({ kind: 'give-up', why: `had no answer within ${this.#silenceMs} ms` });
      };
      stops.push(
        this.manager.on('health', ({ method, health }) => {
          if (method === attempt.method && health.state !== 'connected' && stage === 'signaling' && another()) {
            done({ kind: 'give-up', why: `lost its server (${health.state})` });
          }
          // A later method came up while this one is silent.
          if (method !== attempt.method && health.state === 'connected') moveOn();
        }),
      );
      const timer = setTimeout(() => {
        silent = true;
        moveOn();
      }, this.#silenceMs);
      timer.unref?.();
      stops.push(() => clearTimeout(timer));
    });
  }

  #downList(methods: readonly string[]): string {
    return methods
      .map((name) => {
        const health = this.manager.health(name);
        return `${name} ${health ? health.state : 'up'}${health?.message ? ` (${health.message})` : ''}`;
      })
      .join(', ');
  }
}

/** After a failed attempt another method may still get through, unless the peer's user said no
 * (asking again through another broker asks the same person) or we are stopping. */
function worthAnother(attempt: AttemptSummary): boolean {
  if (attempt.state === 'rejected') return false;
  const code = attempt.error?.code;
  return code !== 'refused_by_peer' && code !== 'stopping' && code !== 'cancelled';
}
