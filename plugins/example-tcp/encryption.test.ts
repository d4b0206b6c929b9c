/**
 * The TCP example has no secure session of its own, so core encrypts and authenticates every
 * frame on it (core/connection/secure). Real sockets, with a relay in the middle that reads
 * everything it carries, or alters one frame.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, type Connection, type ConnectionOptions, type Message, type Pipe } from '@whatnext/core';
import { createTestConnection } from '@whatnext/core/testing';
import { createTcpTransport } from './index';
import { startFrameRelay, type Direction, type FrameRelay, type Tampering } from './testing/frame-relay';

const TRACK_TITLE = 'Wonderwall (Remastered) — a title only this test knows 7f3a91';
const PLAYLIST = { playlist: { id: 'p1', name: 'Road trip 7f3a91' }, tracks: [{ id: 't1', title: TRACK_TITLE, artist: 'Oasis' }] };

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function person(name: string) {
  const { id, identity } = await generateIdentity();
  return { local: { id, name }, identity };
}

/** Two connections over the TCP example, the dialler reaching the listener through a relay. */
async function connectThroughRelay(extra: Partial<ConnectionOptions> = {}): Promise<{ a: Connection; b: Connection; relay: FrameRelay }> {
  const transport = createTcpTransport();
  const alice = await person('Alice');
  const bob = await person('Bob');
  const a = createTestConnection({ ...alice, expectedRemote: bob.local.id, ...extra });
  const b = createTestConnection({ ...bob, expectedRemote: alice.local.id, ...extra });
  const controller = new AbortController();
  let relay: FrameRelay | undefined;
  cleanup.push(
    () => controller.abort(),
    () => relay?.close(),
    () => a.close(),
    () => b.close(),
  );
  const base = { stage: () => {}, abort: controller.signal };
  const dialB = transport.dial({ ...base, initiator: false, sink: b.sink, sendSignal: () => {} });
  const dialA = transport.dial({
    ...base,
    initiator: true,
    sink: a.sink,
    sendSignal: (signal) => {
      // The listener's offer names the relay instead: the dialler connects to it.
      const offer = signal as { host: string; port: number };
      void startFrameRelay(offer).then((started) => {
        relay = started;
        dialB.signal({ ...offer, port: started.port });
      });
    },
  });
  const [pipeA, pipeB] = (await Promise.all([dialA.pipe, dialB.pipe])) as [Pipe, Pipe];
  a.attach(pipeA);
  b.attach(pipeB);
  await Promise.all([a.opened, b.opened]);
  return { a, b, relay: relay! };
}

function nextMessage(connection: Connection, channel: string): Promise<Message> {
  return new Promise((resolve) => {
    const stop = connection.channel(channel).onMessage((message) => {
      stop();
      resolve(message);
    });
  });
}

describe('example-tcp, encrypted by core', () => {
  it('a relay that reads everything sees no track title, playlist name or peer name', async () => {
    const { a, b, relay } = await connectThroughRelay();
    const arrived = nextMessage(b, 'playlists');
    await a.channel('playlists').send(PLAYLIST);
    expect(await arrived).toEqual(PLAYLIST);
    const back = nextMessage(a, 'tracks');
    await b.channel('tracks').send(new TextEncoder().encode(TRACK_TITLE));
    expect(new TextDecoder().decode((await back) as Uint8Array)).toBe(TRACK_TITLE);

    const carried = relay.carried();
    expect(carried.length).toBeGreaterThan(200);
    for (const secret of [TRACK_TITLE, 'Road trip 7f3a91', 'Oasis', '"Alice"', '"Bob"', 'playlists']) {
      expect(carried.includes(Buffer.from(secret)), secret).toBe(false);
    }
  });

  it('without encryption the same relay reads the title (what the test above rules out)', async () => {
    const { a, b, relay } = await connectThroughRelay({ encryptUnboundPipes: false });
    const arrived = nextMessage(b, 'playlists');
    await a.channel('playlists').send(PLAYLIST);
    await arrived;
    expect(relay.carried().includes(Buffer.from(TRACK_TITLE))).toBe(true);
  });

  const tamperings: [Tampering, Direction][] = [
    ['flip', 'toDialer'],
    ['replay', 'toDialer'],
    ['drop', 'toDialer'],
    ['reorder', 'toDialer'],
    ['flip', 'toListener'],
    ['replay', 'toListener'],
    ['drop', 'toListener'],
  ];
  for (const [how, direction] of tamperings) {
    it(`a relay that does "${how}" to a frame ${direction === 'toDialer' ? 'from the listener' : 'from the dialler'} closes the connection with protocol-error`, async () => {
      const { a, b, relay } = await connectThroughRelay();
      const [sender, receiver] = direction === 'toDialer' ? [a, b] : [b, a];
      const received: Message[] = [];
      receiver.channel('playlists').onMessage((message) => received.push(message));
      relay.tamper(direction, how);
      // The altered frame, then one more: a dropped or held-back frame shows at the next.
      await sender.channel('playlists').send(PLAYLIST);
      await sender.channel('playlists').send({ ...PLAYLIST, tracks: [] });
      const closedByReceiver = await receiver.closed;
      expect(closedByReceiver).toMatchObject({ by: 'error', code: 'protocol-error' });
      expect(closedByReceiver.message).toMatch(/did not authenticate/);
      // The receiver tells the sender why, in a frame the relay left alone.
      expect(await sender.closed).toMatchObject({ by: 'remote', code: 'protocol-error' });
      // Nothing altered was delivered; a replayed frame is delivered once, the original.
      expect(received.length).toBeLessThanOrEqual(how === 'replay' ? 1 : 0);
    });
  }
});
