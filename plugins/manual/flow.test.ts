/**
 * The connection flow end to end in one process: two hosts with core's ConnectionManager, manual
 * signaling over the in-memory reference transport (the same flow the service runs over WebRTC).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  definePlugin,
  type PluginInstance,
  type SignalCodec,
  type Transport,
  PluginHost,
  ConnectionManager,
  type ConnectionManagerOptions,
  type AttemptSummary,
  LinkError,
} from '@whatnext/core';
import { createManualMethod, manual, type ManualOptions } from './index';
import { readInvite, readReply, writeReply } from './offers';
import { memoryTransport } from '@whatnext/core/testing';

const memory = definePlugin({
  name: 'memory',
  version: '1.0.0',
  api: '^2.0.0',
  setup(ctx) {
    ctx.registerTransport(memoryTransport);
    ctx.registerSignaling(createManualMethod({ transports: ['memory'], inviteTtlMinutes: 10, shortCodes: true }, () => ctx.transports()));
  },
});

/** A compact form of the memory transport's signals, as a third party might write one. */
const jsonCodec: SignalCodec = {
  compact: (signal) => new TextEncoder().encode(JSON.stringify(signal)),
  expand: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as unknown,
};
/** The memory transport under another name (and with a codec, or a binding it reports at once as
 * a WebRTC initiator does), with the manual method offering whatever is installed. */
const renamed = (name: string, extra: { codec?: SignalCodec; binding?: string } = {}): Transport => ({
  name,
  description: `the memory transport as ${name}`,
  dial: (options) => {
    if (extra.binding) options.sink.binding?.('local', extra.binding);
    return memoryTransport.dial(options);
  },
  ...(extra.codec && { signalCodec: extra.codec }),
});
const offering = (transports: Transport[], options: Partial<ManualOptions> = {}) =>
  definePlugin({
    name: 'memory',
    version: '1.0.0',
    api: '^2.3.0',
    setup(ctx) {
      for (const transport of transports) ctx.registerTransport(transport);
      ctx.registerSignaling(createManualMethod({ inviteTtlMinutes: 10, shortCodes: true, ...options }, () => ctx.transports()));
    },
  })();
/** Codes without a transport name are simple-peer's: the memory transport under that name
 * (with `codec`) makes them. */
const coded = (codec: SignalCodec | undefined, options: Partial<ManualOptions> = {}) => offering([renamed('simple-peer', codec ? { codec } : {})], options);

interface Peer {
  host: PluginHost;
  manager: ConnectionManager;
  attempts: AttemptSummary[];
  next(predicate: (a: AttemptSummary) => boolean): Promise<AttemptSummary>;
}

const peers: Peer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) {
    await peer.manager.stop();
    await peer.host.stop();
  }
});

async function peer(name: string, id: string, extra: PluginInstance[] = [], options: ConnectionManagerOptions = {}, base = memory()): Promise<Peer> {
  const host = new PluginHost({ plugins: [...extra, base], local: { id, name } });
  await host.start();
  const manager = new ConnectionManager(host, { connection: { heartbeatIntervalMs: 1000 }, ...options });
  await manager.start();
  const attempts: AttemptSummary[] = [];
  manager.on('attempt', (a) => attempts.push(a));
  const next = (predicate: (a: AttemptSummary) => boolean) =>
    new Promise<AttemptSummary>((resolve) => {
      const seen = attempts.find(predicate);
      if (seen) return resolve(seen);
      const off = manager.on('attempt', (a) => {
        if (predicate(a)) {
          off();
          resolve(a);
        }
      });
    });
  const result = { host, manager, attempts, next };
  peers.push(result);
  return result;
}

const ALICE = '0000000000000000000000alice';
const BOB = '00000000000000000000000bob0';
const CAROL = '0000000000000000000000carol';

describe('ConnectionManager over manual signaling', () => {
  it('invite → open link → approve → reply code → open, messages both ways', async () => {
    const alice = await peer('Alice', ALICE.slice(-26));
    const bob = await peer('Bob', BOB.slice(-26));
    const invite = alice.manager.invite('manual');
    const presented = await alice.next((a) => a.id === invite.id && !!a.invite && !!a.question);
    // An invite over a transport other than simple-peer names it (wno3).
    expect(presented.invite!.link).toMatch(/^whtnxt:\/\/connect\?v=1&via=manual&n=Alice&t=[\w-]+&o=wno3\./);

    const request = await bob.manager.openLink(presented.invite!.link);
    expect(request).toMatchObject({ role: 'answerer', state: 'awaiting-approval', remote: { id: ALICE.slice(-26), name: 'Alice' } });
    expect(request.approvalDeadline).toBeGreaterThan(Date.now());
    expect(bob.manager.connections()).toEqual([]); // nothing dials before approval

    bob.manager.approve(request.id);
    const reply = await bob.next((a) => a.id === request.id && a.displays.length > 0);
    const code = reply.displays[0]!.code!;
    expect(code.startsWith('wna3.')).toBe(true);

    alice.manager.answer(invite.id, presented.question!.id, code);
    const [aOpen, bOpen] = await Promise.all([
      alice.next((a) => a.id === invite.id && a.state === 'open'),
      bob.next((a) => a.id === request.id && a.state === 'open'),
    ]);
    expect(aOpen.remote).toEqual({ id: BOB.slice(-26), name: 'Bob' });
    expect(bOpen.decidedBy).toBe('user');

    const a = alice.manager.connection(aOpen.connectionId!);
    const b = bob.manager.connection(bOpen.connectionId!);
    const got = new Promise((resolve) => b.channel('chat').onMessage(resolve));
    await a.channel('chat').send({ text: 'hi Bob' });
    expect(await got).toEqual({ text: 'hi Bob' });
    const back = new Promise((resolve) => a.channel('chat').onMessage(resolve));
    await b.channel('chat').send('hi Alice');
    expect(await back).toBe('hi Alice');

    await a.close('bye');
    expect(await b.closed).toMatchObject({ by: 'remote', message: 'bye' });
  });

  it('a rejected request connects nothing and says so', async () => {
    const alice = await peer('Alice', ALICE.slice(-26));
    const bob = await peer('Bob', BOB.slice(-26));
    const invite = alice.manager.invite('manual');
    const presented = await alice.next((a) => a.id === invite.id && !!a.invite);
    const request = await bob.manager.openLink(presented.invite!.link);
    bob.manager.reject(request.id, 'not now');
    const rejected = await bob.next((a) => a.id === request.id && a.state === 'rejected');
    expect(rejected.error).toEqual({ code: 'rejected', message: 'not now' });
    expect(bob.manager.attempts()).toEqual([]);
  });

  it('an unanswered request is rejected when its time runs out', async () => {
    const alice = await peer('Alice', ALICE.slice(-26));
    const bob = await peer('Bob', BOB.slice(-26), [], { approvalTimeoutMs: 50 });
    const invite = alice.manager.invite('manual');
    const presented = await alice.next((a) => a.id === invite.id && !!a.invite);
    const request = await bob.manager.openLink(presented.invite!.link);
    const rejected = await bob.next((a) => a.id === request.id && a.state === 'rejected');
    expect(rejected.error).toMatchObject({ code: 'rejected', reason: 'approval-timeout' });
    expect(rejected.error!.message).toMatch(/^no answer within \d+ s$/);
  });

  it('a policy may refuse a link the user opened before the user is asked, but never approve one', async () => {
    const policy = (name: string, approve: boolean) =>
      definePlugin({
        name,
        version: '1.0.0',
        api: '^2.0.0',
        setup: (ctx) => ctx.hooks.approve.tap(() => (approve ? { approve, by: ctx.name } : { approve, by: ctx.name, reason: 'not today' })),
      })();
    const alice = await peer('Alice', ALICE.slice(-26));
    const wary = await peer('Bob', BOB.slice(-26), [policy('wary', false)]);
    const first = alice.manager.invite('manual');
    const refused = await wary.manager.openLink((await alice.next((a) => a.id === first.id && !!a.invite)).invite!.link);
    expect(await wary.next((a) => a.id === refused.id && a.state === 'rejected')).toMatchObject({ decidedBy: 'wary', error: { message: 'not today' } });

    // A link claims its peer and its server: only the user says yes to it.
    const trusting = await peer('Carol', BOB.slice(-26), [policy('trusting', true)]);
    const second = alice.manager.invite('manual');
    const asked = await trusting.manager.openLink((await alice.next((a) => a.id === second.id && !!a.invite)).invite!.link);
    expect(asked.state).toBe('awaiting-approval');
    trusting.manager.approve(asked.id);
    expect(await trusting.next((a) => a.id === asked.id && a.displays.length > 0)).toMatchObject({ decidedBy: 'user' });
  });

  it('refuses a reply to another invite, keeps the question open, then accepts the right one', async () => {
    const alice = await peer('Alice', ALICE.slice(-26));
    const bob = await peer('Bob', BOB.slice(-26));
    const first = alice.manager.invite('manual');
    const second = alice.manager.invite('manual');
    const firstShown = await alice.next((a) => a.id === first.id && !!a.question);
    const secondShown = await alice.next((a) => a.id === second.id && !!a.question);
    const request = await bob.manager.openLink(firstShown.invite!.link);
    bob.manager.approve(request.id);
    const code = (await bob.next((a) => a.id === request.id && a.displays.length > 0)).displays[0]!.code!;

    expect(() => alice.manager.answer(second.id, secondShown.question!.id, code)).toThrow(/answers a different invite/);
    expect(() => alice.manager.answer(first.id, firstShown.question!.id, code.slice(0, -5))).toThrow(LinkError);
    expect(alice.manager.attempts().find((a) => a.id === first.id)!.question).toBeDefined();
    alice.manager.answer(first.id, firstShown.question!.id, code);
    await alice.next((a) => a.id === first.id && a.state === 'open');
  });

  it('refuses the same invite opened twice, and a bare invite code works like the link', async () => {
    const alice = await peer('Alice', ALICE.slice(-26));
    const bob = await peer('Bob', BOB.slice(-26));
    const invite = alice.manager.invite('manual');
    const presented = await alice.next((a) => a.id === invite.id && !!a.invite);
    const fromCode = await bob.manager.openLink(presented.invite!.code!);
    expect(fromCode).toMatchObject({ method: 'manual', remote: { name: 'Alice' } });
    bob.manager.approve(fromCode.id);
    await bob.next((a) => a.id === fromCode.id && a.displays.length > 0);
    await expect(bob.manager.openLink(presented.invite!.link)).rejects.toThrow(/already answered this invite/);
  });

  it('rejects links for methods that are not installed, naming what is', async () => {
    const bob = await peer('Bob', BOB.slice(-26));
    const rejected: unknown[] = [];
    bob.manager.on('link-rejected', (r) => rejected.push(r));
    await expect(bob.manager.openLink('whtnxt://connect?v=1&via=telepathy')).rejects.toThrow(
      'This link uses the signaling method "telepathy", which is not installed (installed: manual).',
    );
    await expect(bob.manager.openLink('whtnxt://connect?v=1&via=manual&o=garbage')).rejects.toThrow(/not a WhatNext invite code/);
    expect(rejected).toHaveLength(2);
  });

  it('cancelling an invite ends it, and closing one connection leaves the others', async () => {
    const alice = await peer('Alice', ALICE.slice(-26));
    const bob = await peer('Bob', BOB.slice(-26));
    const carol = await peer('Carol', CAROL.slice(-26));
    const connect = async (other: Peer) => {
      const invite = alice.manager.invite('manual');
      const shown = await alice.next((a) => a.id === invite.id && !!a.question);
      const request = await other.manager.openLink(shown.invite!.link);
      other.manager.approve(request.id);
      const code = (await other.next((a) => a.id === request.id && a.displays.length > 0)).displays[0]!.code!;
      alice.manager.answer(invite.id, shown.question!.id, code);
      return (await alice.next((a) => a.id === invite.id && a.state === 'open')).connectionId!;
    };
    const one = await connect(bob);
    const two = await connect(carol);
    const cancelled = alice.manager.invite('manual');
    await alice.next((a) => a.id === cancelled.id && !!a.invite);
    expect(alice.manager.cancel(cancelled.id).state).toBe('cancelled');
    await alice.manager.close(one, 'done with this one');
    expect(alice.manager.connections().map((c) => c.id)).toEqual([two]);
    expect(alice.manager.connection(two).state).toBe('open');
  });
});

describe('short codes over manual signaling', () => {
  /** Alice invites, Bob opens and accepts; resolves with both codes once Bob's reply is shown. */
  async function exchange(alice: Peer, bob: Peer) {
    const invite = alice.manager.invite('manual');
    const presented = await alice.next((a) => a.id === invite.id && !!a.invite && !!a.question);
    const request = await bob.manager.openLink(presented.invite!.code!);
    bob.manager.approve(request.id);
    const shown = await bob.next((a) => a.id === request.id && (a.displays.length > 0 || a.state === 'failed'));
    return { invite, presented, request, shown, reply: shown.displays[0]?.code };
  }
  const opened = (alice: Peer, bob: Peer, ids: { invite: AttemptSummary; request: AttemptSummary }) =>
    Promise.all([alice.next((a) => a.id === ids.invite.id && a.state === 'open'), bob.next((a) => a.id === ids.request.id && a.state === 'open')]);

  it('are made when the transport has a compact form, and a reply to a long invite stays long (a peer that reads only long codes)', async () => {
    const alice = await peer('Alice', ALICE.slice(-26), [], {}, coded(jsonCodec));
    const bob = await peer('Bob', BOB.slice(-26), [], {}, coded(jsonCodec));
    const short = await exchange(alice, bob);
    expect(short.presented.invite!.code).toMatch(/^wno2\./);
    expect(short.reply).toMatch(/^wna2\./);
    alice.manager.answer(short.invite.id, short.presented.question!.id, short.reply!);
    await opened(alice, bob, short);

    const carol = await peer('Carol', CAROL.slice(-26), [], {}, coded(jsonCodec, { shortCodes: false }));
    const long = await exchange(carol, bob);
    expect(long.presented.invite!.code).toMatch(/^wno1\./);
    expect(long.reply).toMatch(/^wna1\./);
    carol.manager.answer(long.invite.id, long.presented.question!.id, long.reply!);
    await opened(carol, bob, long);
  });

  it('a codec that fails to compact gives a long code; one that fails to expand refuses the pasted code as damaged, and the question stays', async () => {
    const failing: SignalCodec = {
      compact: () => {
        throw new TypeError('compact broke');
      },
      expand: () => {
        throw new TypeError('expand broke');
      },
    };
    const alice = await peer('Alice', ALICE.slice(-26), [], {}, coded({ ...jsonCodec, expand: failing.expand }));
    const bob = await peer('Bob', BOB.slice(-26), [], {}, coded({ ...jsonCodec, compact: failing.compact }));
    const { invite, presented, request, reply } = await exchange(alice, bob);
    expect(presented.invite!.code).toMatch(/^wno2\./);
    expect(reply).toMatch(/^wna1\./); // Bob's codec could not compact: his reply is long, and works
    const shortReply = `wna2.${'A'.repeat(10)}`;
    expect(() => alice.manager.answer(invite.id, presented.question!.id, shortReply)).toThrow(LinkError);
    alice.manager.answer(invite.id, presented.question!.id, reply!);
    await opened(alice, bob, { invite, request });

    // A short reply whose signal Alice's codec cannot expand: a LinkError naming the cause.
    const dave = await peer('Dave', '000000000000000000000dave0'.slice(-26), [], {}, coded(jsonCodec));
    const second = await exchange(alice, dave);
    expect(second.reply).toMatch(/^wna2\./);
    let refused: unknown;
    try {
      alice.manager.answer(second.invite.id, second.presented.question!.id, second.reply!);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(LinkError);
    expect(refused).toMatchObject({ reason: 'corrupted', message: expect.stringMatching(/expand broke/) });
    expect(alice.attempts.findLast((a) => a.id === second.invite.id)!.question).toBeDefined();
  });

  it('a short invite opened where the transport has no compact form fails saying so', async () => {
    const alice = await peer('Alice', ALICE.slice(-26), [], {}, coded(jsonCodec));
    const bob = await peer('Bob', BOB.slice(-26), [], {}, coded(undefined));
    const { shown } = await exchange(alice, bob);
    const failed = shown.state === 'failed' ? shown : await bob.next((a) => a.id === shown.id && a.state === 'failed');
    expect(failed.error).toMatchObject({ code: 'link_invalid', message: expect.stringMatching(/short code.*ask for a long code/) });
  });
});

describe('transports chosen by negotiation', () => {
  const memory = () => renamed('memory');
  /** Alice offers a transport that reports a secure-session binding at once (as a WebRTC
   * initiator does) before the memory transport; Bob has the memory transport only. */
  async function offer(alice: Peer, answerer: Peer) {
    const invite = alice.manager.invite('manual');
    const presented = await alice.next((a) => a.id === invite.id && !!a.invite && !!a.question);
    return { invite, presented, open: () => answerer.manager.openLink(presented.invite!.code!) };
  }

  it('an invite offers every installed transport; the answerer takes the first it has, and only that transport reaches the connection', async () => {
    const alice = await peer('Alice', ALICE.slice(-26), [], {}, offering([renamed('bound', { binding: 'sha-256 AA:BB' }), memory()]));
    const bob = await peer('Bob', BOB.slice(-26), [], {}, offering([memory()]));
    const { invite, presented, open } = await offer(alice, bob);
    const offered = readInvite(presented.invite!.code!);
    expect(offered.offers.map((o) => o.transport)).toEqual(['bound', 'memory']);

    const request = await open();
    bob.manager.approve(request.id);
    const reply = await bob.next((a) => a.id === request.id && a.displays.length > 0);
    expect(readReply(reply.displays[0]!.code!).transport).toBe('memory');
    alice.manager.answer(invite.id, presented.question!.id, reply.displays[0]!.code!);
    const [aOpen, bOpen] = await Promise.all([
      alice.next((a) => a.id === invite.id && a.state === 'open'),
      bob.next((a) => a.id === request.id && a.state === 'open'),
    ]);
    // The bound transport's binding was held back: had it reached the handshake, Alice's proof
    // would be bound to a session Bob does not run, and the connection would have failed.
    const transportOf = (p: Peer, id: string) => p.manager.connections().find((c) => c.id === id)?.transport;
    expect([transportOf(alice, aOpen.connectionId!), transportOf(bob, bOpen.connectionId!)]).toEqual(['memory', 'memory']);
    const a = alice.manager.connection(aOpen.connectionId!);
    const b = bob.manager.connection(bOpen.connectionId!);
    const got = new Promise((resolve) => b.channel('chat').onMessage(resolve));
    await a.channel('chat').send('over memory');
    expect(await got).toBe('over memory');
  });

  it('a link with no transport in common is refused before approval, naming both sides’ transports', async () => {
    const alice = await peer('Alice', ALICE.slice(-26), [], {}, offering([renamed('bound'), memory()]));
    const carol = await peer('Carol', CAROL.slice(-26), [], {}, offering([renamed('pigeon'), renamed('smoke')]));
    const { open } = await offer(alice, carol);
    const refused = await open().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LinkError);
    expect(refused).toMatchObject({
      reason: 'no-common-transport',
      message:
        "Alice's invite offers bound, memory; this WhatNext has pigeon, smoke. Install a plugin for one of theirs (Settings → Plugins), or ask Alice for an invite over one of yours.",
    });
    expect(carol.manager.attempts()).toEqual([]);
  });

  it('the transports option narrows what is offered and taken, live', async () => {
    // The manual plugin itself, whose options settings change.
    const both = () =>
      definePlugin({
        name: 'transports',
        version: '1.0.0',
        api: '^2.0.0',
        setup: (ctx) => [renamed('bound'), memory()].forEach((t) => ctx.registerTransport(t)),
      })();
    const alice = await peer('Alice', ALICE.slice(-26), [both()], {}, manual());
    const bob = await peer('Bob', BOB.slice(-26), [both()], {}, manual());
    const manualMethod = () => alice.host.signaling.get('manual');
    expect(alice.manager.transportsOf(manualMethod())).toEqual(['bound', 'memory']);
    alice.host.configure('manual', { transports: ['memory', 'not-installed'] });
    // What the method list shows follows the option too.
    expect(alice.manager.transportsOf(manualMethod())).toEqual(['memory']);
    const first = await offer(alice, bob);
    expect(readInvite(first.presented.invite!.code!).offers.map((o) => o.transport)).toEqual(['memory']);

    // Bob takes only what his option names: Alice's next invite offers both, and he takes bound.
    alice.host.configure('manual', { transports: [] });
    bob.host.configure('manual', { transports: ['bound'] });
    const second = await offer(alice, bob);
    expect(readInvite(second.presented.invite!.code!).offers.map((o) => o.transport)).toEqual(['bound', 'memory']);
    const request = await second.open();
    bob.manager.approve(request.id);
    const reply = await bob.next((a) => a.id === request.id && a.displays.length > 0);
    expect(readReply(reply.displays[0]!.code!).transport).toBe('bound');
  });

  it('a reply that takes a transport the invite did not offer is refused, and the question stays open', async () => {
    const alice = await peer('Alice', ALICE.slice(-26), [], {}, offering([renamed('bound'), memory()]));
    const bob = await peer('Bob', BOB.slice(-26), [], {}, offering([memory()]));
    const { invite, presented, open } = await offer(alice, bob);
    const request = await open();
    bob.manager.approve(request.id);
    const real = (await bob.next((a) => a.id === request.id && a.displays.length > 0)).displays[0]!.code!;
    const { signal, transport, ...head } = readReply(real);
    expect(transport).toBe('memory');
    const forged = writeReply(head, readInvite(presented.invite!.code!), { transport: 'pigeon', signal: (signal as { full: unknown }).full });
    expect(() => alice.manager.answer(invite.id, presented.question!.id, forged)).toThrow(
      /takes the transport pigeon, which this invite did not offer \(it offered bound, memory\)/,
    );
    expect(alice.attempts.findLast((a) => a.id === invite.id)!.question).toBeDefined();
    alice.manager.answer(invite.id, presented.question!.id, real);
    await alice.next((a) => a.id === invite.id && a.state === 'open');
  });

  it('an offered transport that makes no signal is left out of the invite after a grace period, its dial given up', async () => {
    const gaveUp: string[] = [];
    const mute: Transport = {
      name: 'mute',
      description: 'never signals',
      dial: ({ abort }) => ({
        signal: () => undefined,
        pipe: new Promise((_, reject) => abort.addEventListener('abort', () => (gaveUp.push('mute'), reject(abort.reason as Error)), { once: true })),
      }),
    };
    const alice = await peer('Alice', ALICE.slice(-26), [], {}, offering([mute, memory()]));
    const bob = await peer('Bob', BOB.slice(-26), [], {}, offering([memory()]));
    const { presented } = await offer(alice, bob);
    expect(readInvite(presented.invite!.code!).offers.map((o) => o.transport)).toEqual(['memory']);
    expect(gaveUp).toEqual(['mute']);
  });
});
