/** Tentative dials: nothing of a dial reaches the connection until it is chosen; choosing one
 * gives up the others. */
import { describe, expect, it } from 'vitest';
import type { Dial, PipeSink } from '../contracts/transport';
import type { StartDial } from './tentative-dials';
import { MAX_HELD_REPORTS, tentativeDials } from './tentative-dials';

function recorder() {
  const seen: string[] = [];
  const sink: PipeSink = {
    frame: (data) => seen.push(`frame ${data.length}`),
    drain: () => seen.push('drain'),
    closed: (error) => seen.push(`closed ${error?.message ?? ''}`.trim()),
    binding: (side, value) => seen.push(`binding ${side} ${value}`),
    path: (path) => seen.push(`path ${path.local}`),
  };
  const chosen: string[] = [];
  const parent = new AbortController();
  const offer = tentativeDials({ sink, stage: (stage) => seen.push(`stage ${stage}`), abort: parent.signal, chosen: (t) => chosen.push(t) });
  return { seen, chosen, parent, offer };
}

/** A dial that reports a binding and a stage at once, as a WebRTC initiator does. */
function dialer(name: string, aborts: string[]): { start: StartDial; report: { sink?: PipeSink } } {
  const report: { sink?: PipeSink } = {};
  const start: StartDial = ({ sink, stage, abort }) => {
    report.sink = sink;
    stage('signaling');
    sink.binding?.('local', `${name}-fingerprint`);
    abort.addEventListener('abort', () => aborts.push(name), { once: true });
    const dial: Dial = {
      signal: () => undefined,
      pipe: new Promise((_, reject) => abort.addEventListener('abort', () => reject(abort.reason), { once: true })),
    };
    return dial;
  };
  return { start, report };
}

describe('tentative dials', () => {
  it('hold back what each dial reports until one is chosen, then pass the chosen one’s in order and abort the others', () => {
    const { seen, chosen, offer } = recorder();
    const aborts: string[] = [];
    const bound = dialer('webrtc', aborts);
    const plain = dialer('tcp', aborts);
    offer('webrtc', bound.start);
    const tcp = offer('tcp', plain.start);
    plain.report.sink!.path?.({ local: 'tcp-path' } as never);
    expect(seen).toEqual([]);

    tcp.choose();
    expect(chosen).toEqual(['tcp']);
    expect(aborts).toEqual(['webrtc']);
    expect(seen).toEqual(['binding local tcp-fingerprint', 'path tcp-path']);
    // The given-up dial's later reports never arrive; the chosen one's pass straight through.
    bound.report.sink!.binding?.('remote', 'late');
    bound.report.sink!.closed(new Error('aborted'));
    plain.report.sink!.frame(new Uint8Array(3));
    expect(seen).toEqual(['binding local tcp-fingerprint', 'path tcp-path', 'frame 3']);
    tcp.choose(); // again: nothing more
    expect(chosen).toEqual(['tcp']);
  });

  it('cancel ends one dial, and the attempt’s abort ends them all', () => {
    const { seen, parent, offer } = recorder();
    const aborts: string[] = [];
    const one = offer('one', dialer('one', aborts).start);
    offer('two', dialer('two', aborts).start);
    one.cancel();
    expect(aborts).toEqual(['one']);
    one.choose(); // a cancelled dial cannot be chosen
    expect(seen).toEqual([]);
    parent.abort(new Error('cancelled'));
    expect(aborts).toEqual(['one', 'two']);
  });

  it('gives up a dial that reports without bound before it is chosen, and refuses an offer after the choice', () => {
    const { seen, offer } = recorder();
    const aborts: string[] = [];
    const chatty = dialer('chatty', aborts);
    const quiet = offer('quiet', dialer('quiet', aborts).start);
    offer('chatty', chatty.start);
    for (let i = 0; i < MAX_HELD_REPORTS + 10; i++) chatty.report.sink!.frame(new Uint8Array(1));
    expect(aborts).toEqual(['chatty']);
    quiet.choose();
    expect(seen).toEqual(['binding local quiet-fingerprint']);
    expect(() => offer('late', dialer('late', aborts).start)).toThrow(/after the attempt chose its transport/);
  });
});
