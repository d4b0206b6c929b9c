/**
 * Dials of one attempt offered at once (`AttemptContext.dial(..., { tentative: true })`): an
 * invite that offers several transports dials each before the remote has picked one. Until the
 * method chooses one, whatever a dial reports is held back from the connection: a binding of
 * its secure session above all, since core would otherwise bind the peers' proofs to a session
 * the connection does not run on (and take a transport that has none for one that has). The
 * chosen dial's held reports then pass in order; the others are aborted.
 */
import type { ConnectionStage } from '../contracts/stages';
import type { TentativeDial } from '../contracts/signaling';
import type { Dial, PipeSink } from '../contracts/transport';
import { TransportError } from '../errors';

export interface DialTarget {
  sink: PipeSink;
  stage(stage: ConnectionStage): void;
  abort: AbortSignal;
  /** A dial was chosen: the attempt runs over `transport`. */
  chosen(transport: string): void;
}

/** Reports a dial may hold before it is chosen: a pipe that opens and sends long before the
 * method picks it (its remote was quick) is given up past this, rather than held without bound. */
export const MAX_HELD_REPORTS = 256;

export type StartDial = (options: { sink: PipeSink; stage(stage: ConnectionStage): void; abort: AbortSignal }) => Dial;

/** A factory of tentative dials for one attempt's connection. */
export function tentativeDials(target: DialTarget): (transport: string, start: StartDial) => TentativeDial {
  const open = new Set<TentativeDial>();
  let chosen = false;
  return (transport, start) => {
    if (chosen) throw new TransportError('signaling', `a dial over ${transport} offered after the attempt chose its transport`);
    const controller = new AbortController();
    let held: (() => void)[] | undefined = [];
    let given = false; // cancelled: whatever it reports from now on goes nowhere
    const pass = (deliver: () => void) => {
      if (given) return;
      if (!held) return deliver();
      held.push(deliver);
      if (held.length > MAX_HELD_REPORTS) tentative.cancel(`it reported more than ${MAX_HELD_REPORTS} times before the remote chose it`);
    };
    const sink: PipeSink = {
      frame: (data) => pass(() => target.sink.frame(data)),
      drain: () => pass(() => target.sink.drain()),
      closed: (error) => pass(() => target.sink.closed(error)),
      binding: (side, value) => pass(() => target.sink.binding?.(side, value)),
      path: (path) => pass(() => target.sink.path?.(path)),
    };
    const dial = start({
      sink,
      // Progress of a transport that may not be taken is nobody's: only the chosen one's shows.
      stage: (stage) => held === undefined && target.stage(stage),
      abort: AbortSignal.any([target.abort, controller.signal]),
    });
    // A dial not chosen fails by its abort; the method holds only the chosen one's pipe.
    dial.pipe.catch(() => undefined);
    const tentative: TentativeDial & { cancel(why?: string): void } = {
      transport,
      pipe: dial.pipe,
      signal: (signal) => dial.signal(signal),
      choose() {
        if (held === undefined || !open.has(tentative)) return;
        chosen = true;
        for (const other of open) if (other !== tentative) other.cancel();
        open.clear();
        target.chosen(transport);
        const pending = held;
        held = undefined;
        for (const deliver of pending) deliver();
      },
      cancel(why = 'the remote took another transport') {
        open.delete(tentative);
        given = true;
        held = [];
        controller.abort(new TransportError('signaling', `the dial over ${transport} was given up: ${why}`));
      },
    };
    open.add(tentative);
    return tentative;
  };
}
