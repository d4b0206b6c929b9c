/**
 * Test helpers: a recording sink and a stand-in for the host's AttemptContext, so the method can
 * be driven without the host. Not part of the plugin's API.
 */
import type { AttemptContext, BindingSide, ConnectionStage, PeerInfo, PipeSink, RemoteClaim } from '../../core';
import { randomToken } from '../../core/util/ids';
import { loadDefaultEngine, type WebRtcEngine } from './engine';

export interface RecordingSink extends PipeSink {
  readonly frames: Uint8Array[];
  readonly closes: (Error | undefined)[];
  /** The DTLS bindings reported, by side. */
  readonly bindings: Partial<Record<BindingSide, string>>;
  drains: number;
  /** Resolves with the next frame (or the next one not yet taken). */
  nextFrame(): Promise<Uint8Array>;
  /** Resolves once `count` frames have arrived. */
  frameCount(count: number): Promise<void>;
  /** Resolves with the error (or undefined) the first `closed` call carried. */
  readonly closed$: Promise<Error | undefined>;
}

export function recordingSink(): RecordingSink {
  const frames: Uint8Array[] = [];
  const closes: (Error | undefined)[] = [];
  let taken = 0;
  const waiters: { count: number; resolve(): void }[] = [];
  let resolveClosed!: (error: Error | undefined) => void;
  const closed$ = new Promise<Error | undefined>((resolve) => (resolveClosed = resolve));
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (frames.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const sink: RecordingSink = {
    frames,
    closes,
    bindings: {},
    drains: 0,
    closed$,
    binding(side, value) {
      sink.bindings[side] = value;
    },
    frame(data) {
      frames.push(data);
      wake();
    },
    drain() {
      sink.drains++;
    },
    closed(error) {
      closes.push(error);
      resolveClosed(error);
    },
    frameCount(count) {
      if (frames.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    async nextFrame() {
      const index = taken++;
      await sink.frameCount(index + 1);
      return frames[index]!;
    },
  };
  return sink;
}

export interface FakeAttempt {
  ctx: AttemptContext;
  sink: RecordingSink;
  stages: ConnectionStage[];
  claims: RemoteClaim[];
  /** What the method passed on from the remote's side of the handshake; `hello` is what ours
   * offers (set it to have one sent). */
  handshake: { nonces: string[]; hellos: unknown[]; hello: unknown };
  controller: AbortController;
  /** Resolves with the invite once `presentInvite` was called. */
  invite: Promise<{ params: Record<string, string>; token: string }>;
}

let counter = 0;

/** `forward`: a sink that gets everything too (the attempt's sink records and forwards). */
export function fakeAttempt(local: PeerInfo, options: { inviteToken?: string } = {}, forward?: PipeSink): FakeAttempt {
  const sink = recordingSink();
  const ctxSink: PipeSink = forward
    ? {
        frame: (data) => (sink.frame(data), forward.frame(data)),
        drain: () => (sink.drain(), forward.drain()),
        closed: (error) => (sink.closed(error), forward.closed(error)),
        binding: (side, value) => (sink.binding!(side, value), forward.binding?.(side, value)),
      }
    : sink;
  const stages: ConnectionStage[] = [];
  const claims: RemoteClaim[] = [];
  const handshake: FakeAttempt['handshake'] = { nonces: [], hellos: [], hello: undefined };
  const controller = new AbortController();
  let inviteToken = options.inviteToken;
  let resolveInvite!: (invite: { params: Record<string, string>; token: string }) => void;
  const invite = new Promise<{ params: Record<string, string>; token: string }>((resolve) => (resolveInvite = resolve));
  const ctx: AttemptContext = {
    attemptId: `attempt-${++counter}`,
    local,
    get inviteToken() {
      return inviteToken;
    },
    abort: controller.signal,
    sink: ctxSink,
    dial() {
      throw new Error('the peerjs method never dials a transport');
    },
    stage: (stage) => {
      if (stages.at(-1) !== stage) stages.push(stage);
    },
    presentInvite({ params }) {
      inviteToken ??= `tok_${crypto.randomUUID().replace(/-/g, '')}`;
      resolveInvite({ params, token: inviteToken });
      return { link: `whtnxt://connect?v=1&via=peerjs&t=${inviteToken}&${new URLSearchParams(params)}`, token: inviteToken };
    },
    show() {},
    ask: () => Promise.reject(new Error('no questions in these tests')),
    claimRemote: (remote) => void claims.push(remote),
    handshake: {
      nonce: randomToken(),
      remoteNonce: (nonce) => void handshake.nonces.push(nonce),
      hello: async () => handshake.hello,
      remoteHello: (hello) => void handshake.hellos.push(hello),
    },
  };
  return { ctx, sink, stages, claims, handshake, controller, invite };
}

/** Fixed identities. */
export const ALICE: PeerInfo = { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'Alice' };
export const BOB: PeerInfo = { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'Bob' };
export const CAROL: PeerInfo = { id: 'cccccccccccccccccccccccccc', name: 'Carol' };

/** The real engine (@roamhq/wrtc), recording every peer connection it makes and every data
 * channel they create (the dialer's side), in order, and telling when some number were made or
 * all are closed. */
export async function recordingEngine() {
  const wrtc = await loadDefaultEngine();
  const created: RTCPeerConnection[] = [];
  const channels: RTCDataChannel[] = [];
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((check) => check());
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => done() && (waiters.delete(check), resolve());
      waiters.add(check);
      check();
    });
  const engine: WebRtcEngine = {
    ...wrtc,
    RTCPeerConnection: class extends wrtc.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config);
        created.push(this);
        wake();
      }
      override close() {
        super.close();
        wake();
      }
      override createDataChannel(label: string, init?: RTCDataChannelInit) {
        const channel = super.createDataChannel(label, init);
        channels.push(channel);
        return channel;
      }
    },
  };
  return {
    engine,
    created,
    channels,
    createdCount: (count: number) => until(() => created.length >= count),
    allClosed: () => until(() => created.every((pc) => pc.signalingState === 'closed')),
  };
}
