/**
 * The connection flow end to end in one process: two hosts with core's ConnectionManager, manual
 * signaling over the in-memory reference transport (the same flow the service runs over WebRTC).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  definePlugin,
  type PluginInstance,
  type SignalCodec,
  PluginHost,
  ConnectionManager,
  type ConnectionManagerOptions,
  type AttemptSummary,
  LinkError,
} from '@whatnext/core';
import { createManualMethod, type ManualOptions } from './index';
import { memoryTransport } from '@whatnext/core/testing';

const memory = definePlugin({
  name: 'memory',
  version: '1.0.0',
  api: '^2.0.0',
  setup(ctx) {
    ctx.registerTransport(memoryTransport);
    ctx.registerSignaling(createManualMethod({ transport: 'memory', inviteTtlMinutes: 10, shortCodes: true }));
  },
});

/** The memory transport with a compact form of its signals, as a third party might write one. */
const jsonCodec: SignalCodec = {
  compact: (signal) => new TextEncoder().encode(JSON.stringify(signal)),
  expand: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as unknown,
};
const coded = (codec: SignalCodec, options: Partial<ManualOptions> = {}) =>
  definePlugin({
    name: 'memory',
    version: '1.0.0',
    api: '^2.2.0',
    setup(ctx) {
      ctx.registerTransport({ name: memoryTransport.name, description: memoryTransport.description, dial: (o) => memoryTransport.dial(o), signalCodec: codec });
      ctx.registerSignaling(createManualMethod({ transport: 'memory', inviteTtlMinutes: 10, shortCodes: true, ...options }));
    },
  })();

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
    expect(presented.invite!.link).toMatch(/^whtnxt:\/\/connect\?v=1&via=manual&n=Alice&t=[\w-]+&o=wno1\./);

    const request = await bob.manager.openLink(presented.invite!.link);
    expect(request).toMatchObject({ role: 'answerer', state: 'awaiting-approval', remote: { id: ALICE.slice(-26), name: 'Alice' } });
    expect(request.approvalDeadline).toBeGreaterThan(Date.now());
    expect(bob.manager.connections()).toEqual([]); // nothing dials before approval

    bob.manager.approve(request.id);
    const reply = await bob.next((a) => a.id === request.id && a.displays.length > 0);
    const code = reply.displays[0]!.code!;
    expect(code.startsWith('wna1.')).toBe(true);

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
    const bob = await peer('Bob', BOB.slice(-26));
    const { shown } = await exchange(alice, bob);
    const failed = shown.state === 'failed' ? shown : await bob.next((a) => a.id === shown.id && a.state === 'failed');
    expect(failed.error).toMatchObject({ code: 'link_invalid', message: expect.stringMatching(/short code.*ask for a long code/) });
  });
});
