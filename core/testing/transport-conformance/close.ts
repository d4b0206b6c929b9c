/** Close semantics: a clean close is clean on both ends and reaches the other side with its
 * reason; a pipe that ends or fails under a connection fails it; nothing is left running. */
import { expect } from 'vitest';
import type { Message } from '../../connection/types';
import { activeTimeouts, nextTurns } from '../helpers';
import { openConnections, openPipes, type Case, type ConformanceFixture, type OpenPipes } from './fixture';

/** On the pipe, then on a connection over it. */
export function closeCases(fixture: ConformanceFixture, test: Case): void {
  for (const closer of ['a', 'b'] as const) {
    test(`close is idempotent and each sink sees closed() exactly once, without an error on either side (${closer} closes)`, async () => {
      await checkCleanClose(await openPipes(fixture), closer);
    });
  }

  for (const closer of ['a', 'b'] as const) {
    test(`close from ${closer} reaches the other side with its reason`, async () => {
      const c = await openConnections(fixture);
      const [closing, other] = closer === 'a' ? [c.a, c.b] : [c.b, c.a];
      await closing.close('see you later');
      const remote = await other.closed;
      expect(remote).toEqual({ by: 'remote', code: 'closed', message: 'see you later' });
      expect(closing.closeReason).toEqual({ by: 'local', code: 'closed', message: 'see you later' });
      expect(closing.state).toBe('closed');
      expect(other.state).toBe('closed');
      await c.pipesClosed;
    });
  }

  test('a pipe that ends without a close frame closes both connections by error', async () => {
    const c = await openConnections(fixture);
    c.pipes.a.close(); // behind the connection's back
    const [a, b] = await Promise.all([c.a.closed, c.b.closed]);
    expect(a).toMatchObject({ by: 'error', code: 'pipe-closed' });
    expect(b).toMatchObject({ by: 'error', code: 'pipe-closed' });
    expect(c.a.state).toBe('failed');
    expect(c.b.state).toBe('failed');
    await c.pipesClosed;
  });

  if (fixture.breakPipe) {
    test('a failing pipe closes both connections by error', async () => {
      const c = await openConnections(fixture);
      fixture.breakPipe!(c.pipes.a);
      const [a, b] = await Promise.all([c.a.closed, c.b.closed]);
      expect(a.by).toBe('error');
      expect(b.by).toBe('error');
      await c.pipesClosed;
    });
  }

  test('leaves no timers behind once closed, even with a request pending', async () => {
    const before = activeTimeouts();
    const c = await openConnections(fixture);
    c.b.channel('slow').onRequest(() => new Promise<Message>(() => {})); // never answers
    const pending = c.a.channel('slow').request('wait');
    const outcome = pending.then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await c.a.channel('slow').send('nudge');
    await c.a.close('done');
    expect(await outcome).toMatch(/closed/);
    await c.b.closed;
    await c.pipesClosed;
    expect(activeTimeouts()).toBeLessThanOrEqual(before);
  });
}

/** `closer` closes its end twice: each sink sees closed() once, and neither sees an error (a
 * clean close is not a failure, on either end). Closes both ends. */
export async function checkCleanClose(pair: OpenPipes, closer: 'a' | 'b'): Promise<void> {
  const closing = closer === 'a' ? pair.a : pair.b;
  closing.close();
  closing.close();
  await Promise.all([pair.sinkA.untilClosed(), pair.sinkB.untilClosed()]);
  pair.a.close();
  pair.b.close();
  await nextTurns(3); // room for a wrong second closed() to show up
  expect(pair.sinkA.closes.length).toBe(1);
  expect(pair.sinkB.closes.length).toBe(1);
  const [own, remote] = closer === 'a' ? [pair.sinkA, pair.sinkB] : [pair.sinkB, pair.sinkA];
  expect(own.closes[0], 'a local close is not an error').toBeUndefined();
  expect(remote.closes[0], 'a clean close by the remote is not an error').toBeUndefined();
}
