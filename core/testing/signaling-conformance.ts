/**
 * The signaling conformance suite. A method author calls
 *
 *   describeSignalingConformance('my method', { method: 'my-method', plugins: () => [myMethod(), memoryTransportPlugin()] });
 *
 * in a vitest file and gets the method run between two of core's own hosts in this process
 * (`PluginHost` and `ConnectionManager`, as the app runs them), driven as a person drives the
 * app: invite, open the link on the other side, approve, and pass back whatever the answering
 * side shows if the inviting side asks for it. Checked: both attempts open one connection each
 * with the right peer on the other end, a message crosses both ways; every parameter the method
 * put in its link (but those the fixture names optional), left out, is refused with a typed
 * `LinkError` and starts nothing, and so is each one holding garbage instead (untrusted
 * input); a refused request connects nothing; two invites answered at once by two peers each
 * connect the right two (signals stay within their attempt); a cancelled invite ends as
 * cancelled.
 *
 * Every case waits for events, never for time, and is bounded by a per-case timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerInfo } from '../contracts/peer';
import { LinkError } from '../errors';
import { RESERVED_LINK_KEYS } from '../link/schema';
import { ConnectionManager } from '../kernel/connections';
import { PluginHost } from '../kernel/host';
import type { PluginInstance } from '../plugin';
import type { AttemptSummary } from '../protocol/shapes';
import { watchAttempts, type AttemptWait } from './attempts';
import { PEER_A, PEER_B } from './conformance';

export interface SignalingFixture {
  /** The method's name, as it registers. */
  method: string;
  /** The plugins one peer runs, made afresh for each peer: the method's, and the transports it
   * dials (the in-memory one, say). */
  plugins(peer: PeerInfo): readonly PluginInstance[];
  /** Runs once before the cases (start a broker) and once after them. */
  setup?(): Promise<void> | void;
  teardown?(): Promise<void> | void;
  /** Parameters the method's links may go without (an older peer's links lack them, say): left
   * out, they are not refused. Every other parameter the method puts in a link must be. */
  optionalLinkParams?: readonly string[];
  /** Per-case timeout in ms. Default 30000. */
  timeoutMs?: number;
}

/** Parameters of every link that core adds itself (version, method, name, token). */
const CORE_PARAMS = new Set<string>(RESERVED_LINK_KEYS);
/** Why a method refuses a link that lost a parameter: one missing, or what is left unreadable. */
const CUT_LINK_REASONS = ['missing-param', 'bad-param', 'corrupted'];

export function describeSignalingConformance(name: string, fixture: SignalingFixture): void {
  const timeout = fixture.timeoutMs ?? 30_000;
  describe(`signaling conformance: ${name}`, () => {
    beforeAll(() => fixture.setup?.());
    afterAll(() => fixture.teardown?.());
    it('connects: invite, open the link, approve, pass back what the answering side shows; a message crosses both ways', () => checkConnects(fixture), timeout);
    it('refuses its link with any of its own parameters left out, with a LinkError, and starts nothing', () => checkRefusesCutLinks(fixture), timeout);
    it('refuses its link with garbage in any of its own parameters, with a LinkError, and starts nothing', () => checkRefusesGarbageLinks(fixture), timeout);
    it('a refused request connects nothing', () => checkRefusal(fixture), timeout);
    it('two invites answered at once by two peers connect each to the right one', () => checkConcurrentAttempts(fixture), timeout);
    it('ends a cancelled invite as cancelled', () => checkCancel(fixture), timeout);
  });
}

/** What opening `link` on `peer` was refused with (undefined: it was taken). */
function refusalOf(peer: Peer, link: URL): Promise<unknown> {
  return peer.manager.openLink(link.toString()).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A third peer, for the cases that need two answering at once. */
export const PEER_C: PeerInfo = { id: 'cccccccccccccccccccccccccc', name: 'Conformance C' };

/** Peers of the fixture's (A and B, and C when asked), stopped after `body` whatever it does. */
async function withPeers(fixture: SignalingFixture, body: (a: Peer, b: Peer, c: Peer) => Promise<void>, three = false): Promise<void> {
  const peers = await Promise.all([PEER_A, PEER_B, ...(three ? [PEER_C] : [])].map((peer) => startPeer(fixture, peer)));
  try {
    await body(peers[0]!, peers[1]!, peers[2]!);
  } finally {
    await Promise.all(peers.map((peer) => peer.stop()));
  }
}

/** The suite's first case, exported (as the others) to run alone in a method's own tests. */
export function checkConnects(fixture: SignalingFixture): Promise<void> {
  return withPeers(fixture, async (a, b) => {
    const invite = await a.invite(fixture.method);
    expect(invite.invite?.link, 'the invite presents a link').toMatch(/^whtnxt:\/\/connect\?/);
    const { inviter, answerer } = await connect(a, b, invite);
    expect(a.manager.connections().find((c) => c.id === inviter)?.remote.id).toBe(PEER_B.id);
    expect(b.manager.connections().find((c) => c.id === answerer)?.remote.id).toBe(PEER_A.id);
    const [toB, toA] = [b.next(answerer, 'conformance'), a.next(inviter, 'conformance')];
    await a.manager.connection(inviter).channel('conformance').send({ from: 'a' });
    await b.manager.connection(answerer).channel('conformance').send({ from: 'b' });
    expect(await toB).toEqual({ from: 'a' });
    expect(await toA).toEqual({ from: 'b' });
  });
}

/** Each parameter the method put in its link (but those the fixture names optional), left out:
 * the link is refused with a `LinkError` whose reason is one of `CUT_LINK_REASONS`, and no
 * attempt starts. A method whose links carry nothing of its own passes. */
export function checkRefusesCutLinks(fixture: SignalingFixture): Promise<void> {
  return withPeers(fixture, async (a, b) => {
    const invite = await a.invite(fixture.method);
    const link = new URL(invite.invite!.link);
    const optional = new Set(fixture.optionalLinkParams ?? []);
    const own = [...link.searchParams.keys()].filter((key) => !CORE_PARAMS.has(key) && !optional.has(key));
    for (const key of own) {
      const damaged = new URL(link);
      damaged.searchParams.delete(key);
      const refusal = await refusalOf(b, damaged);
      expect(refusal, `the link without "${key}"`).toBeInstanceOf(LinkError);
      expect(CUT_LINK_REASONS, `why the link without "${key}" was refused: ${(refusal as Error).message}`).toContain((refusal as LinkError).reason);
    }
    expect(b.manager.attempts(), 'no attempt started for a refused link').toEqual([]);
  });
}

/** What a link parameter may hold instead of the method's own value: none of it is one. */
export const GARBAGE_PARAM_VALUES: readonly string[] = [
  '',
  'not a value of any method!',
  'A'.repeat(3000),
  '{"type":"offer","sdp":"v=0"}',
  '\u0000\u0007\uFFFD\uD83D',
  '../../etc/passwd',
];

/** Each parameter the method put in its link (optional ones too) holding each of
 * `GARBAGE_PARAM_VALUES`: refused with a `LinkError` (never another error, never accepted), and
 * no attempt starts. */
export function checkRefusesGarbageLinks(fixture: SignalingFixture): Promise<void> {
  return withPeers(fixture, async (a, b) => {
    const invite = await a.invite(fixture.method);
    const link = new URL(invite.invite!.link);
    const own = [...link.searchParams.keys()].filter((key) => !CORE_PARAMS.has(key));
    for (const key of own) {
      for (const value of GARBAGE_PARAM_VALUES) {
        const damaged = new URL(link);
        damaged.searchParams.set(key, value);
        const refusal = await refusalOf(b, damaged);
        expect(refusal, `the link with ${JSON.stringify(value.slice(0, 40))} as "${key}"`).toBeInstanceOf(LinkError);
      }
    }
    expect(b.manager.attempts(), 'no attempt started for a refused link').toEqual([]);
  });
}

/** B opens A's link and rejects the request: B's attempt ends rejected, and neither side has a
 * connection (A's invite may wait on, as a copy-paste invite does, or end). */
export function checkRefusal(fixture: SignalingFixture): Promise<void> {
  return withPeers(fixture, async (a, b) => {
    const invite = await a.invite(fixture.method);
    const request = await b.manager.openLink(invite.invite!.link);
    expect(request.state, 'a link the user opened waits for approval').toBe('awaiting-approval');
    b.manager.reject(request.id, 'not now');
    expect((await b.until(request.id, (x) => x.state !== 'awaiting-approval')).state).toBe('rejected');
    expect(b.manager.connections(), 'a refused request connects nothing').toEqual([]);
    expect(
      a.manager.connections().filter((c) => c.state === 'open'),
      'nor does the invite it refused',
    ).toEqual([]);
    a.manager.cancel(invite.id);
  });
}

/** A invites twice; B answers the second and C the first, at the same time. Each invite opens
 * one connection, with the peer that answered it: no signal crosses into the other attempt. */
export function checkConcurrentAttempts(fixture: SignalingFixture): Promise<void> {
  return withPeers(
    fixture,
    async (a, b, c) => {
      const [first, second] = [await a.invite(fixture.method), await a.invite(fixture.method)];
      const [withC, withB] = await Promise.all([connect(a, c, first), connect(a, b, second)]);
      const remoteOf = (peer: Peer, id: string) => peer.manager.connections().find((connection) => connection.id === id)?.remote.id;
      expect(remoteOf(a, withB.inviter), 'the second invite, answered by B').toBe(PEER_B.id);
      expect(remoteOf(a, withC.inviter), 'the first invite, answered by C').toBe(PEER_C.id);
      expect(remoteOf(b, withB.answerer)).toBe(PEER_A.id);
      expect(remoteOf(c, withC.answerer)).toBe(PEER_A.id);
      expect(a.manager.connections()).toHaveLength(2);
    },
    true,
  );
}

export function checkCancel(fixture: SignalingFixture): Promise<void> {
  return withPeers(fixture, async (a) => {
    const invite = await a.invite(fixture.method);
    a.manager.cancel(invite.id);
    expect((await a.until(invite.id, (x) => x.state !== 'connecting')).state).toBe('cancelled');
  });
}

interface Peer {
  manager: ConnectionManager;
  /** Start an invite; resolves once its link is presented. */
  invite(method: string): Promise<AttemptSummary>;
  /** The attempt `id` once `predicate` holds for it (rejects if it ends without). */
  until: AttemptWait;
  /** The next message on `channel` of connection `connectionId`. */
  next(connectionId: string, channel: string): Promise<unknown>;
  stop(): Promise<void>;
}

async function startPeer(fixture: SignalingFixture, local: PeerInfo): Promise<Peer> {
  const host = new PluginHost({ plugins: fixture.plugins(local), local });
  await host.start();
  const manager = new ConnectionManager(host);
  await manager.start();
  const until = watchAttempts(manager);
  return {
    manager,
    until,
    async invite(method) {
      return until(manager.invite(method).id, (attempt) => !!attempt.invite);
    },
    next: (connectionId, channel) =>
      new Promise((resolve) => {
        const off = manager
          .connection(connectionId)
          .channel(channel)
          .onMessage((message) => {
            off();
            resolve(message);
          });
      }),
    async stop() {
      await manager.stop();
      await host.stop();
    },
  };
}

/** The flow a person follows: open the link, approve, and when the inviter asks (a reply code),
 * answer with what the answering side shows. Resolves with each side's connection id; rejects
 * when either attempt ends without opening. */
async function connect(a: Peer, b: Peer, invite: AttemptSummary): Promise<{ inviter: string; answerer: string }> {
  const request = await b.manager.openLink(invite.invite!.link);
  if (request.state === 'awaiting-approval') b.manager.approve(request.id);
  const open = (attempt: AttemptSummary) => attempt.state === 'open';
  const answered = b.until(request.id, (attempt) => attempt.displays.some((d) => d.code) || open(attempt));
  const asked = a.until(invite.id, (attempt) => !!attempt.question || open(attempt));
  const [shown, question] = await Promise.all([answered, asked]);
  const code = shown.displays.find((d) => d.code)?.code;
  if (question.question && code) a.manager.answer(invite.id, question.question.id, code);
  const [inviter, answerer] = await Promise.all([a.until(invite.id, open), b.until(request.id, open)]);
  return { inviter: inviter.connectionId!, answerer: answerer.connectionId! };
}
