import { describe, expect, it } from 'vitest';
import type { ConnectionState } from '../contracts/stages';
import { IllegalTransitionError, StateMachine, TRANSITIONS, canTransition, isTerminal } from './state';

const STATES: ConnectionState[] = ['connecting', 'open', 'closing', 'closed', 'failed'];

/** The table, restated here on purpose: a change to the machine must be a change to this test. */
const ALLOWED: [ConnectionState, ConnectionState][] = [
  ['connecting', 'open'],
  ['connecting', 'closing'],
  ['connecting', 'closed'],
  ['connecting', 'failed'],
  ['open', 'closing'],
  ['open', 'closed'],
  ['open', 'failed'],
  ['closing', 'closed'],
];

/** A machine driven (legally) into `state`. */
function machineIn(state: ConnectionState, seen: ConnectionState[] = []): StateMachine {
  const machine = new StateMachine((s) => seen.push(s));
  const path: Record<ConnectionState, ConnectionState[]> = {
    connecting: [],
    open: ['open'],
    closing: ['open', 'closing'],
    closed: ['closed'],
    failed: ['failed'],
  };
  for (const step of path[state]) machine.transition(step);
  return machine;
}

describe('connection state machine', () => {
  it('allows exactly the documented transitions', () => {
    for (const from of STATES) {
      for (const to of STATES) {
        const allowed = ALLOWED.some(([f, t]) => f === from && t === to);
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(allowed);
      }
    }
    expect(Object.isFrozen(TRANSITIONS)).toBe(true);
  });

  for (const [from, to] of ALLOWED) {
    it(`performs ${from} -> ${to} and reports it`, () => {
      const seen: ConnectionState[] = [];
      const machine = machineIn(from, seen);
      seen.length = 0;
      machine.transition(to);
      expect(machine.state).toBe(to);
      expect(seen).toEqual([to]);
    });
  }

  const ILLEGAL: [ConnectionState, ConnectionState][] = [
    ['connecting', 'connecting'],
    ['open', 'open'],
    ['open', 'connecting'],
    ['closing', 'open'],
    ['closing', 'failed'],
    ['closed', 'open'],
    ['closed', 'failed'],
    ['failed', 'closed'],
    ['failed', 'connecting'],
  ];
  for (const [from, to] of ILLEGAL) {
    it(`throws on ${from} -> ${to} and stays in ${from}`, () => {
      const seen: ConnectionState[] = [];
      const machine = machineIn(from, seen);
      seen.length = 0;
      expect(() => machine.transition(to)).toThrow(IllegalTransitionError);
      expect(() => machine.transition(to)).toThrow(`${from} -> ${to}`);
      expect(machine.state).toBe(from);
      expect(seen).toEqual([]);
    });
  }

  it('knows which states are terminal', () => {
    expect(STATES.filter(isTerminal)).toEqual(['closed', 'failed']);
    expect(machineIn('failed').ended).toBe(true);
    expect(machineIn('closing').ended).toBe(false);
  });
});
