/**
 * Where the time of a heal goes: while a scenario breaks and heals a pair, the events both
 * services emit are stamped (first time each, ms since the break) under names that say which
 * side saw what, so `npm run soak` can print a per-phase breakdown next to the total.
 *
 *   a broker lost / a broker back   the side's PeerJS registration dropped / confirmed again
 *   b old <code>                    the side's connection from before ended, and why
 *   a reconnect attempt             a new attempt seen on that side (role: reconnect, incoming)
 *   a reconnect ice / channel / …   that attempt reached the stage
 *   a reconnect open / failed       it settled
 *   a new open                      a connection other than the one from before opened
 *   a tracks changed, last          the side's last track change (the other's edits arrived)
 *
 * The stamps are taken where the events arrive (this process), so they include the IPC hop and
 * this process's own delays on a busy machine; they say the order and the rough size of phases.
 */
import { performance } from 'node:perf_hooks';
import type { ServiceClient } from '../../../core/protocol/client';
import type { WithPlaylists } from '../../../plugins/rxdb/protocol';

export type PhaseTimes = Record<string, number>;

export interface PhaseFollower {
  /** Stamp a step of the scenario itself (a command returned, say). */
  mark(name: string): void;
  /** Stop listening; the stamps so far, in ms since `from` (a `performance.now()`). */
  stop(from: number): PhaseTimes;
}

/** Stamps what `sides` report from now on; `before`: the ids of the connections from before the
 * break (either side's). */
export function followPhases(sides: Record<string, ServiceClient<WithPlaylists>>, before: ReadonlySet<string>): PhaseFollower {
  const times: PhaseTimes = {};
  const stamp = (name: string) => void (times[name] ??= performance.now());
  const offs: (() => void)[] = [];
  for (const [side, client] of Object.entries(sides)) {
    const roles = new Map<string, string>();
    let lost = false;
    offs.push(
      client.on('signaling.health', ({ health }) => {
        if (health.state !== 'connected') {
          lost = true;
          stamp(`${side} broker lost`);
        } else if (lost) stamp(`${side} broker back`);
      }),
      client.on('attempt.updated', (a) => {
        if (!roles.has(a.id)) {
          roles.set(a.id, a.role);
          stamp(`${side} ${a.role} attempt`);
        }
        stamp(`${side} ${a.role} ${a.state === 'connecting' ? a.stage : a.state}`);
      }),
      // The last one: when the side got the other's edits (its own come first).
      client.on('tracks.changed', () => void (times[`${side} tracks changed, last`] = performance.now())),
      client.on('connection.updated', (c) => {
        if (before.has(c.id)) {
          if (c.state === 'closed' || c.state === 'failed') stamp(`${side} old ${c.closeReason?.code ?? c.state}`);
        } else if (c.state === 'open') stamp(`${side} new open`);
      }),
    );
  }
  return {
    mark: stamp,
    stop(from) {
      for (const off of offs.splice(0)) off();
      return Object.fromEntries(Object.entries(times).map(([name, at]) => [name, Math.round(at - from)]));
    },
  };
}
