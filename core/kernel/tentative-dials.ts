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

export type StartDial = (options: { sink: PipeSink; stage(stage: ConnectionStage): void; abort: AbortSignal }) => Dial;

/** A factory of tentative dials for one attempt's connection. */
export function tentativeDials(target: DialTarget): (transport: string, start: StartDial) => TentativeDial {
  const open = new Set<TentativeDial>();
  return (transport, start) => {
    const controller = new AbortController();
    let held: (() => void)[] | undefined = [];
    const pass = (deliver: () => void) => (held ? held.push(deliver) : deliver());
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
    const tentative: TentativeDial = {
      transport,
      pipe: dial.pipe,
      signal: (signal) => dial.signal(signal),
      choose() {
        if (held === undefined || !open.has(tentative)) return;
        for (const other of open) if (other !== tentative) other.cancel();
        open.clear();
        target.chosen(transport);
        const pending = held;
        held = undefined;
        for (const deliver of pending) deliver();
      },
      cancel() {
        open.delete(tentative);
        held = []; // from now on nothing of it reaches the connection
        controller.abort(new TransportError('signaling', `the dial over ${transport} was given up: the remote took another transport`));
      },
    };
    open.add(tentative);
    return tentative;
  };
}
