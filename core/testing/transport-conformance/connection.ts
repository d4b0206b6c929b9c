/** Connection behaviour over the pipe: the handshake, messages small and large, order, many
 * channels, requests. */
import { expect } from 'vitest';
import type { Message } from '../../connection/types';
import { pattern, sameBytes } from '../helpers';
import { MiB, PEER_A, PEER_B, collect, echo, withConnections, type Case, type ConformanceFixture } from './fixture';

/** Core's connection run over the fixture's pipes. */
export function connectionCases(fixture: ConformanceFixture, test: Case): void {
  test('opens with a handshake: both sides learn who the other is', () =>
    withConnections(fixture, async (c) => {
      expect(c.a.state).toBe('open');
      expect(c.b.state).toBe('open');
      expect(c.a.stage).toBe('open');
      expect(c.a.remote).toEqual(PEER_B);
      expect(c.b.remote).toEqual(PEER_A);
      expect(c.stagesA.slice(-2)).toEqual(['handshake', 'open']);
    }));

  test('echoes small messages, keeping bytes as bytes and JSON as JSON', () =>
    withConnections(fixture, async (c) => {
      echo(c.b, 'echo');
      const messages: Message[] = [
        { text: 'hello', list: [1, 2.5, true, null], nested: { ok: 'yes' } },
        'a string',
        42,
        null,
        new Uint8Array([0, 1, 2, 254, 255]),
        new Uint8Array(0),
      ];
      const back = collect(c.a, 'echo');
      for (const m of messages) await c.a.channel('echo').send(m);
      await back.until(messages.length);
      messages.forEach((m, i) => {
        const got = back.messages[i];
        if (m instanceof Uint8Array) {
          expect(got).toBeInstanceOf(Uint8Array);
          expect(sameBytes(got as Uint8Array, m)).toBe(true);
        } else {
          expect(got).not.toBeInstanceOf(Uint8Array);
          expect(got).toEqual(m);
        }
      });
    }));

  test('echoes a large binary message and a large JSON message intact', () =>
    withConnections(fixture, async (c) => {
      echo(c.b, 'big');
      const back = collect(c.a, 'big');
      const bytes = pattern(fixture.largeMessageBytes ?? 5 * MiB, 7);
      const json = { rows: Array.from({ length: 20_000 }, (_, i) => ({ i, name: `row ${i}`, tags: ['x', 'y'] })) };
      await Promise.all([c.a.channel('big').send(bytes), c.a.channel('big').send(json)]);
      await back.until(2);
      expect(back.messages[0]).toBeInstanceOf(Uint8Array);
      expect(sameBytes(back.messages[0] as Uint8Array, bytes)).toBe(true);
      expect(back.messages[1]).toEqual(json);
      expect(c.a.state).toBe('open');
    }));

  test('keeps 2000 messages in order', () =>
    withConnections(fixture, async (c) => {
      const got = collect(c.b, 'order');
      const count = 2000;
      await Promise.all(Array.from({ length: count }, (_, i) => c.a.channel('order').send({ i })));
      await got.until(count);
      expect(got.messages.map((m) => (m as { i: number }).i)).toEqual(Array.from({ length: count }, (_, i) => i));
    }));

  test('carries 16 channels at once, both ways, each in order', () =>
    withConnections(fixture, async (c) => {
      const channels = Array.from({ length: 16 }, (_, i) => `channel-${i}`);
      const perChannel = 40;
      const runs = [
        [c.a, c.b],
        [c.b, c.a],
      ].flatMap(([from, to]) =>
        channels.map(async (name, ch) => {
          const got = collect(to!, name);
          // Every 8th message is bigger than a frame, so chunked messages mix with small ones.
          const sends = Array.from({ length: perChannel }, (_, i) => from!.channel(name).send(i % 8 === 0 ? pattern(40_000, ch * 1000 + i) : { ch, i }));
          await Promise.all(sends);
          await got.until(perChannel);
          got.messages.forEach((m, i) => {
            if (i % 8 === 0) expect(sameBytes(m as Uint8Array, pattern(40_000, ch * 1000 + i))).toBe(true);
            else expect(m).toEqual({ ch, i });
          });
        }),
      );
      await Promise.all(runs);
    }));

  test('answers requests, and a remote handler error comes back as a rejection', () =>
    withConnections(fixture, async (c) => {
      c.b.channel('math').onRequest((m) => ({ doubled: (m as { n: number }).n * 2 }));
      c.b.channel('bytes').onRequest(async (m) => (m as Uint8Array).slice().reverse());
      c.b.channel('broken').onRequest(() => {
        throw new Error('handler says no');
      });
      const answers = await Promise.all(Array.from({ length: 50 }, (_, n) => c.a.channel('math').request({ n })));
      expect(answers).toEqual(Array.from({ length: 50 }, (_, n) => ({ doubled: n * 2 })));
      const reversed = await c.a.channel('bytes').request(new Uint8Array([1, 2, 3]));
      expect(Array.from(reversed as Uint8Array)).toEqual([3, 2, 1]);
      await expect(c.a.channel('broken').request('anything')).rejects.toThrow('handler says no');
    }));
}
