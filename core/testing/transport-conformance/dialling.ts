/** Dialling a raw-signal transport (`fromTransport`): one signal a side without trickle, an
 * unusable signal refused, an aborted dial. */
import { expect } from 'vitest';
import type { Transport } from '../../contracts/transport';
import { TransportError } from '../../errors';
import { RecordingSink } from '../helpers';
import { pairFromTransport } from '../memory-transport';
import type { Case } from './fixture';

/** The dial cases of `transport` (the fixture's, when `fromTransport` made it). */
export function diallingCases(transport: Transport, test: Case): void {
  test('without trickle, each side emits exactly one signal', async () => {
    const sinkA = new RecordingSink();
    const sinkB = new RecordingSink();
    const pair = await pairFromTransport(transport, { sinkA, sinkB, trickle: false });
    expect(pair.signals).toEqual({ a: 1, b: 1 });
    pair.a.close();
    pair.b.close();
    await Promise.all([sinkA.untilClosed(), sinkB.untilClosed()]);
  });

  /** A dial with nobody at the other end, and its abort. */
  const dialAlone = (initiator: boolean) => {
    const abort = new AbortController();
    const dial = transport.dial({ initiator, sink: new RecordingSink(), sendSignal: () => {}, stage: () => {}, abort: abort.signal });
    return { dial, abort };
  };

  test('a signal the transport cannot use throws a TransportError', async () => {
    const { dial, abort } = dialAlone(false);
    dial.pipe.catch(() => {});
    expect(() => dial.signal({ certainly: 'not a signal' })).toThrow(TransportError);
    abort.abort();
  });

  test('aborting a pending dial rejects its pipe', async () => {
    const { dial, abort } = dialAlone(true);
    abort.abort();
    await expect(dial.pipe).rejects.toThrow();
  });
}
