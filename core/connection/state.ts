/**
 * The connection state machine. Transitions not in the table are bugs in core, so they throw.
 *
 *   connecting -> open        handshake done
 *   connecting -> closing     close() with a pipe attached (close frame sent, waiting)
 *   connecting -> closed      close() before a pipe, or the remote refused during the handshake
 *   connecting -> failed      dial failure, handshake failure, pipe loss, protocol error
 *   open       -> closing     close() called locally
 *   open       -> closed      the remote sent a close frame
 *   open       -> failed      peer timeout, pipe loss, protocol error
 *   closing    -> closed      the remote closed the pipe, or the close timeout passed
 *
 * A connection ends `failed` exactly when its close reason is `by: 'error'`.
 */
import type { ConnectionState } from '../contracts/stages';

export const TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = Object.freeze({
  connecting: ['open', 'closing', 'closed', 'failed'],
  open: ['closing', 'closed', 'failed'],
  closing: ['closed'],
  closed: [],
  failed: [],
});

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly from: ConnectionState,
    readonly to: ConnectionState,
  ) {
    super(`illegal connection state transition ${from} -> ${to}`);
  }
}

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(state: ConnectionState): boolean {
  return TRANSITIONS[state].length === 0;
}

export class StateMachine {
  private current: ConnectionState = 'connecting';

  constructor(private readonly onChange: (state: ConnectionState) => void = () => {}) {}

  get state(): ConnectionState {
    return this.current;
  }

  get ended(): boolean {
    return isTerminal(this.current);
  }

  transition(to: ConnectionState): void {
    if (!canTransition(this.current, to)) throw new IllegalTransitionError(this.current, to);
    this.current = to;
    this.onChange(to);
  }
}
