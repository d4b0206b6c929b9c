/**
 * The 'peerjs' signaling method: a PeerJS broker finds the other peer by id, and the PeerJS
 * data connection it sets up is the pipe.
 *
 * - `invite` registers on the configured broker, presents a link carrying the broker address
 *   and our id, and resolves with the first incoming connection that presents the invite's
 *   token (single use).
 * - `answer` registers on the link's broker (a separate session when it is not ours) and
 *   connects to the inviter with `{ id, name, token }` as metadata.
 * - `listen` keeps us registered on the configured broker and reports connection requests that
 *   carry no token of a pending invite; the host decides, and only then does PeerJS answer.
 * - Core's handshake moves its nonces ahead (see `HandshakeAhead`): the invite link carries the
 *   inviter's, the connection's metadata (PeerJS's public way to say something with a request)
 *   the dialer's. Each side's proof over the other's nonce is then made while the data channel
 *   connects and rides in its first hello on the pipe: the handshake takes one trip there. (A
 *   hello of its own cannot go ahead: its proof names the DTLS session of a description PeerJS
 *   only makes after taking the metadata.) A link whose invite is spent (it arrives as a
 *   request) carries a nonce no connection uses any more: the answerer sets the dialer's proof
 *   for it aside, and the pipe finishes the handshake, one trip later.
 */
import {
  PendingInvites,
  TransportError,
  describe,
  type AttemptContext,
  type IncomingAttempt,
  type LinkTarget,
  type PeerInfo,
  type Pipe,
  type SignalingMethod,
  type SignalingServices,
} from '@whatnext/core';
import type { WebRtcService } from '../webrtc/service';
import { METHOD, inviteParams, parsePeerjsLink, type PeerjsLinkParams } from './link';
import type { Metadata } from './messages';
import type { PeerjsOptions } from './options';
import { openPipe, type PipeContext, type PipeSettings } from './pipe';
import { brokerAnswers } from './probe';
import { createRuntime, type PeerJsRuntime } from './peerjs-client';
import {
  BrokerSession,
  brokerIdentity,
  brokerUrl,
  type BrokerAddress,
  type DescriptionListener,
  type HeldOffer,
  type SessionConnection,
} from './broker-session';

export interface PeerjsMethodConfig {
  options: PeerjsOptions;
  /** The webrtc plugin's service: the engine, the ICE servers, the pipe. */
  webrtc: WebRtcService;
  local: PeerInfo;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface PeerjsMethod extends SignalingMethod<PeerjsLinkParams> {
  /** Destroy every PeerJS peer, socket and peer connection this method opened. */
  shutdown(): Promise<void>;
}

/** While the broker is unreachable, it is probed this often (one small HTTP request), and we
 * register at the first answer: back within about this long of the broker's return, where a
 * doubling backoff would have waited up to its maximum. */
export const PROBE_MS = 1000;
/** After the broker said our id is taken (WhatNext running twice with one identity, or the
 * broker still holding our last registration until its own timeout): try again this often. */
export const ID_TAKEN_RETRY_MS = 10_000;

/** What a registration came to: registered, try again after a while, or stop (the broker
 * refused something trying again cannot change). */
type Registration = { registered: true } | { registered: false; retryMs: number } | { registered: false; stop: true };

/** The attempt as the pipe reports to it. Its sink also hands `remoteNonce` (the inviter's, from
 * the link; the dialer's, from its metadata) to core once our binding is reported: our proof
 * for it is then made once, over our DTLS session, while the channel connects. */
function presigning(ctx: AttemptContext, remoteNonce: string | undefined): PipeContext {
  let nonce = remoteNonce;
  const { sink } = ctx;
  return {
    abort: ctx.abort,
    stage: (stage) => ctx.stage(stage),
    sink: {
      frame: (data) => sink.frame(data),
      drain: () => sink.drain(),
      closed: (error) => sink.closed(error),
      path: (path) => sink.path?.(path),
      binding: (side, value) => {
        sink.binding?.(side, value);
        if (side !== 'local' || nonce === undefined) return;
        ctx.handshake.remoteNonce(nonce);
        nonce = undefined;
      },
    },
  };
}

export function createPeerjsMethod(config: PeerjsMethodConfig): PeerjsMethod {
  const { options, webrtc, local, log } = config;
  const primary: BrokerAddress = { host: options.host, port: options.port, path: options.path, key: options.key, secure: options.secure };
  const settings: PipeSettings = { maxFrameSize: options.maxFrameSize, lowWaterMark: options.lowWaterMark };
  /** PeerJS hands its `config` to every peer connection it makes: read at each, it carries the
   * ICE servers as the webrtc plugin's settings say then. */
  const configuration: RTCConfiguration = {
    get iceServers() {
      return webrtc.configuration().iceServers;
    },
  };
  const sessions = new Map<string, BrokerSession>();
  const invites = new PendingInvites<HeldOffer>();
  let runtime: PeerJsRuntime | undefined;
  let services: SignalingServices | undefined;
  let stopped = false;
  /** Set while a recovery (probe, then register) runs; `wake` ends its wait early (shutdown). */
  let recovery: { timer: ReturnType<typeof setTimeout> | undefined; wake: () => void } | undefined;

  const getRuntime = (): PeerJsRuntime => {
    if (runtime) return runtime;
    let engine;
    try {
      engine = webrtc.engine();
    } catch (cause) {
      throw new TransportError('signaling', `Could not load the WebRTC engine: ${describe(cause)}`, { cause });
    }
    try {
      runtime = createRuntime(engine, log);
    } catch (cause) {
      throw new TransportError('signaling', `Could not load the PeerJS client: ${describe(cause)}`, { cause });
    }
    return runtime;
  };

  const sessionFor = async (broker: BrokerAddress): Promise<BrokerSession> => {
    const loaded = getRuntime();
    if (stopped) throw new TransportError('signaling', 'The peerjs plugin is shutting down.');
    const identity = brokerIdentity(broker);
    let session = sessions.get(identity);
    if (!session || session.destroyed) {
      const isPrimary = identity === brokerIdentity(primary);
      session = new BrokerSession({
        broker,
        local,
        configuration,
        runtime: loaded,
        log,
        offer: isPrimary ? onOffer : (offer) => offer.refuse('this peer takes no connection requests on this broker'),
        lost: isPrimary ? () => registrationLost(`Lost the connection to the PeerJS broker at ${brokerUrl(broker)}.`) : undefined,
      });
      sessions.set(identity, session);
    }
    return session;
  };

  /** Let go of a session on another broker once nothing runs through it (and of the peer
   * connection made ahead, once no session at all is left to use it). */
  const release = (session: BrokerSession) => {
    const identity = brokerIdentity(session.broker);
    if (identity === brokerIdentity(primary) || session.busy) return;
    if (sessions.get(identity) === session) sessions.delete(identity);
    session.destroy();
    if (sessions.size === 0) runtime?.discardPrepared();
  };

  /** Never throws: a connection that cannot be made is a rejected promise. `remoteNonce` is
   * the remote's, answered by our proof once our description exists. */
  const pipeFor = async (
    session: BrokerSession,
    outgoing: boolean,
    connect: (descriptions: DescriptionListener) => SessionConnection,
    ctx: AttemptContext,
    remoteNonce: string | undefined,
  ): Promise<Pipe> => {
    try {
      return await openPipe(webrtc, presigning(ctx, remoteNonce), settings, { onEnd: () => release(session), log }, outgoing, connect);
    } catch (error) {
      release(session);
      throw error;
    }
  };

  /** Answer a held offer: releasing it hands the offer's description to the pipe. */
  const answerOffer = (session: BrokerSession, offer: HeldOffer, ctx: AttemptContext): Promise<Pipe> =>
    pipeFor(session, false, (descriptions) => offer.release(descriptions), ctx, offer.metadata.nonce);

  function onOffer(offer: HeldOffer): void {
    const { token, name } = offer.metadata;
    if (token && invites.take(token, offer)) return;
    // With `listen: false` the peer is reachable through its invites only.
    if (!services || stopped || !options.listen) return offer.refuse('this peer is not taking connection requests');
    const attempt: IncomingAttempt = {
      method: METHOD,
      remote: { id: offer.remoteId, ...(name !== undefined && { name }) },
      ...(token !== undefined && { token }),
      ...(offer.metadata.reconnect && { reconnect: true }),
      accept: async (ctx) => {
        ctx.stage('signaling');
        const session = await sessionFor(primary);
        return answerOffer(session, offer, ctx);
      },
      reject: (reason) => offer.refuse(reason),
    };
    services.incoming(attempt);
  }

  /** Someone can reach us through the broker: we listen, or an invite of ours is open. */
  const reachable = () => !stopped && ((services !== undefined && options.listen) || invites.size > 0);

  function registrationLost(why: string): void {
    if (!reachable()) return;
    if (options.listen) services?.health({ state: 'retrying', message: why });
    void recover();
  }

  /** Probe the broker every `PROBE_MS` and register at the first answer, until registered (or
   * nobody needs us reachable any more). One recovery at a time. */
  async function recover(): Promise<void> {
    if (recovery) return;
    // The first probe goes at once: a socket dropped because our address changed finds the
    // broker again on the new one straight away.
    let wait = 0;
    try {
      while (reachable()) {
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, wait);
          timer.unref?.();
          recovery = { timer, wake };
        });
        wait = PROBE_MS;
        if (!reachable() || !(await brokerAnswers(primary))) continue;
        const outcome = await register();
        if (outcome.registered || 'stop' in outcome) return;
        wait = outcome.retryMs;
      }
    } finally {
      recovery = undefined;
    }
  }

  /** Register on the primary broker; a failure is logged and reported as health. */
  async function register(): Promise<Registration> {
    try {
      const session = await sessionFor(primary);
      await session.ready();
      log('info', `registered on the PeerJS broker at ${session.url}`);
      if (options.listen) services?.health({ state: 'connected' });
      return { registered: true };
    } catch (error) {
      if (stopped) return { registered: false, stop: true };
      const type = (error as { cause?: { type?: unknown } }).cause?.type;
      if (type === 'invalid-key') {
        log('error', `the PeerJS broker refused the key; not trying again until the options change: ${describe(error)}`);
        if (options.listen) services?.health({ state: 'error', message: describe(error) });
        return { registered: false, stop: true };
      }
      const retryMs = type === 'unavailable-id' ? ID_TAKEN_RETRY_MS : PROBE_MS;
      log('warn', `could not register on the PeerJS broker (trying again in ${retryMs / 1000} s): ${describe(error)}`);
      if (options.listen) services?.health({ state: 'retrying', message: describe(error) });
      return { registered: false, retryMs };
    }
  }

  return {
    name: METHOD,
    description: 'Connect through a PeerJS broker (PeerServer): the link carries the broker address and your peer id; the connection is a WebRTC data channel.',
    transports: [METHOD],

    parseLink: parsePeerjsLink,

    async invite(ctx: AttemptContext): Promise<Pipe> {
      ctx.stage('signaling');
      const session = await sessionFor(primary);
      await session.ready(ctx.abort);
      const { token } = ctx.presentInvite({
        params: inviteParams(primary, local.id, ctx.handshake.nonce),
        text: `Send this link to the person you want to connect with. It works while this invite is open, once, through the PeerJS broker at ${session.url}.`,
      });
      return invites.wait(ctx, token, (offer) => {
        ctx.claimRemote({ id: offer.remoteId, ...(offer.metadata.name !== undefined && { name: offer.metadata.name }) });
        return answerOffer(session, offer, ctx);
      });
    },

    async answer(target: LinkTarget<PeerjsLinkParams>, ctx: AttemptContext): Promise<Pipe> {
      ctx.stage('signaling');
      const { id, nonce, ...broker } = target.params;
      if (id === local.id) throw new TransportError('signaling', 'This link is an invite of your own.');
      const session = await sessionFor(broker);
      try {
        await session.ready(ctx.abort);
      } catch (error) {
        release(session);
        throw error;
      }
      const metadata: Metadata = {
        id: local.id,
        name: local.name,
        nonce: ctx.handshake.nonce,
        ...(ctx.inviteToken !== undefined && { token: ctx.inviteToken }),
      };
      // Our proof for the inviter's nonce (from the link) is made once our offer exists (it
      // names our DTLS session), while the channel connects, and rides in our first hello.
      return pipeFor(session, true, (descriptions) => session.connect(id, metadata, descriptions), ctx, nonce);
    },

    /** A known peer, by its id on our own broker (where it registers too, if it listens). */
    async reach(peer: string, ctx: AttemptContext): Promise<Pipe> {
      ctx.stage('signaling');
      const session = await sessionFor(primary);
      await session.ready(ctx.abort);
      const metadata: Metadata = { id: local.id, name: local.name, nonce: ctx.handshake.nonce, reconnect: true };
      return pipeFor(session, true, (descriptions) => session.connect(peer, metadata, descriptions), ctx, undefined);
    },

    listen(listener: SignalingServices): void {
      services = listener;
      if (!options.listen) return;
      listener.health({ state: 'connecting' });
      void register().then((outcome) => {
        if (!outcome.registered && !('stop' in outcome)) void recover();
      });
    },

    async shutdown(): Promise<void> {
      stopped = true;
      clearTimeout(recovery?.timer);
      recovery?.wake();
      services = undefined;
      invites.failAll(new TransportError('signaling', 'The peerjs plugin is shutting down.'));
      for (const session of sessions.values()) session.destroy();
      sessions.clear();
      await runtime?.dispose();
    },
  };
}
