/**
 * The 'peerjs' signalling method: a PeerJS broker finds the other peer by id, and the PeerJS
 * data connection it sets up is the pipe.
 *
 * - `invite` registers on the configured broker, presents a link carrying the broker address
 *   and our id, and resolves with the first incoming connection that presents the invite's
 *   token (single use).
 * - `answer` registers on the link's broker (a separate session when it is not ours) and
 *   connects to the inviter with `{ id, name, token }` as metadata.
 * - `listen` keeps us registered on the configured broker and reports connection requests that
 *   carry no token of a pending invite; the host decides, and only then does PeerJS answer.
 * - Core's handshake runs partly through the broker (see `HandshakeAhead`): the invite link
 *   carries the inviter's nonce, the OFFER the dialer's hello (proof included) and nonce, the
 *   ANSWER the answerer's hello. Each side has then checked the other before the data channel
 *   opens, and opens with it. A link whose invite is spent (it arrives as a request) carries a
 *   nonce no connection uses any more: the answerer sets the dialer's proof for it aside, and
 *   the pipe finishes the handshake, one trip later.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  TransportError,
  describe,
  type AttemptContext,
  type IncomingAttempt,
  type LinkTarget,
  type PeerInfo,
  type Pipe,
  type SignalingMethod,
  type SignalingServices,
} from '../../core';
import { loadDefaultEngine } from './engine';
import { METHOD, inviteParams, parsePeerjsLink, type PeerjsLinkParams } from './link';
import type { Metadata } from './messages';
import type { PeerjsOptions } from './options';
import { openPipe, type PipeSettings } from './pipe';
import { createRuntime, type PeerJsRuntime } from './runtime';
import { BrokerSession, brokerIdentity, type BrokerAddress, type HeldOffer, type SessionHandshake } from './session';

export interface PeerjsMethodConfig {
  options: PeerjsOptions;
  local: PeerInfo;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface PeerjsMethod extends SignalingMethod<PeerjsLinkParams> {
  /** Destroy every PeerJS peer, socket and peer connection this method opened. */
  shutdown(): Promise<void>;
}

interface PendingInvite {
  token: Buffer;
  take(offer: HeldOffer): void;
  fail(error: TransportError): void;
}

/** Re-registration after the broker connection drops: 1 s, doubling to 60 s. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;

/** Core's handshake and sink as the session uses them. `remoteNonce` (the inviter's, from the
 * link) goes to core once our binding is known, so our proof for it is made once, for that. */
function sessionHandshake(ctx: AttemptContext, remoteNonce?: string): SessionHandshake {
  let nonce = remoteNonce;
  const presign = () => {
    if (nonce !== undefined) ctx.handshake.remoteNonce(nonce);
    nonce = undefined;
  };
  return {
    hello: () => (presign(), ctx.handshake.hello()),
    remote: (hello) => ctx.handshake.remoteHello(hello),
    binding: (side, value) => {
      ctx.sink.binding?.(side, value);
      if (side === 'local') presign();
    },
  };
}

export function createPeerjsMethod(config: PeerjsMethodConfig): PeerjsMethod {
  const { options, local, log } = config;
  const primary: BrokerAddress = { host: options.host, port: options.port, path: options.path, key: options.key, secure: options.secure };
  const settings: PipeSettings = { maxFrameSize: options.maxFrameSize, lowWaterMark: options.lowWaterMark };
  const sessions = new Map<string, BrokerSession>();
  const invites = new Set<PendingInvite>();
  let runtime: Promise<PeerJsRuntime> | undefined;
  let services: SignalingServices | undefined;
  let stopped = false;
  let retry: { timer: ReturnType<typeof setTimeout> | undefined; delay: number } = { timer: undefined, delay: RETRY_MIN_MS };

  const getRuntime = (): Promise<PeerJsRuntime> => {
    runtime ??= (options.engine ? Promise.resolve(options.engine) : loadDefaultEngine()).then((engine) => {
      try {
        return createRuntime(engine, log);
      } catch (cause) {
        throw new TransportError('signaling', `Could not load the PeerJS client: ${describe(cause)}`, { cause });
      }
    });
    runtime.catch(() => (runtime = undefined));
    return runtime;
  };

  const sessionFor = async (broker: BrokerAddress): Promise<BrokerSession> => {
    const loaded = await getRuntime();
    if (stopped) throw new TransportError('signaling', 'The peerjs plugin is shutting down.');
    const identity = brokerIdentity(broker);
    let session = sessions.get(identity);
    if (!session || session.destroyed) {
      const isPrimary = identity === brokerIdentity(primary);
      session = new BrokerSession({
        broker,
        local,
        iceServers: options.iceServers,
        runtime: loaded,
        log,
        offer: isPrimary ? onOffer : (offer) => offer.refuse('this peer takes no connection requests on this broker'),
        lost: isPrimary ? () => scheduleRegistration() : undefined,
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
    if (sessions.size === 0) void runtime?.then((loaded) => sessions.size === 0 && loaded.discardPrepared(), () => undefined);
  };

  /** Never throws: a connection that cannot be made is a rejected promise. */
  const pipeFor = async (session: BrokerSession, connect: () => ReturnType<BrokerSession['connect']>, ctx: AttemptContext): Promise<Pipe> => {
    let connection;
    try {
      connection = connect();
    } catch (error) {
      release(session);
      throw error;
    }
    return openPipe(connection, ctx, settings, { onEnd: () => release(session), log });
  };

  /** Answer a held offer. Releasing it reports the offer's DTLS binding; the dialer's nonce
   * (from its metadata) is then answered by our proof once our answer exists (core waits for
   * our binding), and rides in the ANSWER with our hello. The dialer's own hello (sent when our
   * invite link gave it our nonce) is checked while PeerJS answers. */
  function answerOffer(offer: HeldOffer, ctx: AttemptContext) {
    const connection = offer.release(sessionHandshake(ctx)); // reports the offer's binding
    if (offer.metadata.nonce !== undefined) ctx.handshake.remoteNonce(offer.metadata.nonce);
    if (offer.handshake !== undefined) ctx.handshake.remoteHello(offer.handshake);
    return connection;
  }

  function findInvite(token: string): PendingInvite | undefined {
    const presented = Buffer.from(token);
    for (const invite of invites) {
      if (invite.token.length === presented.length && timingSafeEqual(invite.token, presented)) return invite;
    }
    return undefined;
  }

  function onOffer(offer: HeldOffer): void {
    const { token, name } = offer.metadata;
    const invite = token ? findInvite(token) : undefined;
    if (invite) return invite.take(offer);
    // With `listen: false` the peer is reachable through its invites only.
    if (!services || stopped || !options.listen) return offer.refuse('this peer is not taking connection requests');
    const attempt: IncomingAttempt = {
      method: METHOD,
      remote: { id: offer.remoteId, ...(name !== undefined && { name }) },
      ...(token !== undefined && { token }),
      accept: async (ctx) => {
        ctx.stage('signaling');
        const session = await sessionFor(primary);
        return pipeFor(session, () => answerOffer(offer, ctx), ctx);
      },
      reject: (reason) => offer.refuse(reason),
    };
    services.incoming(attempt);
  }

  /** Register again after the broker connection dropped, while someone can still reach us
   * through it: we listen, or an invite of ours is open. */
  function scheduleRegistration(): void {
    if (stopped || retry.timer) return;
    if (!(services && options.listen) && invites.size === 0) return;
    const delay = retry.delay;
    retry.delay = Math.min(retry.delay * 2, RETRY_MAX_MS);
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      void register();
    }, delay);
    retry.timer.unref?.();
  }

  async function register(): Promise<void> {
    try {
      const session = await sessionFor(primary);
      await session.ready();
      retry.delay = RETRY_MIN_MS;
      log('info', `registered on the PeerJS broker at ${session.url}`);
    } catch (error) {
      if (stopped) return;
      log('warn', `could not register on the PeerJS broker (retrying in ${Math.round(retry.delay / 1000)} s): ${describe(error)}`);
      scheduleRegistration();
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
      return new Promise<Pipe>((resolve, reject) => {
        const onAbort = () => {
          const reason: unknown = ctx.abort.reason;
          invite.fail(reason instanceof TransportError ? reason : new TransportError('signaling', `The invite was closed${reason instanceof Error ? `: ${reason.message}` : ''}.`, { cause: reason }));
        };
        const invite: PendingInvite = {
          token: Buffer.from(token),
          take: (offer) => {
            invites.delete(invite);
            ctx.abort.removeEventListener('abort', onAbort);
            ctx.claimRemote({ id: offer.remoteId, ...(offer.metadata.name !== undefined && { name: offer.metadata.name }) });
            pipeFor(session, () => answerOffer(offer, ctx), ctx).then(resolve, reject);
          },
          fail: (error) => {
            invites.delete(invite);
            ctx.abort.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        if (ctx.abort.aborted) return onAbort();
        invites.add(invite);
        ctx.abort.addEventListener('abort', onAbort, { once: true });
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
      // names our DTLS session), while the engine applies it, and rides in the OFFER.
      return pipeFor(session, () => session.connect(id, metadata, sessionHandshake(ctx, nonce)), ctx);
    },

    listen(listener: SignalingServices): void {
      services = listener;
      if (options.listen) void register();
    },

    async shutdown(): Promise<void> {
      stopped = true;
      clearTimeout(retry.timer);
      retry = { timer: undefined, delay: RETRY_MIN_MS };
      services = undefined;
      for (const invite of [...invites]) invite.fail(new TransportError('signaling', 'The peerjs plugin is shutting down.'));
      for (const session of sessions.values()) session.destroy();
      sessions.clear();
      const loaded = await runtime?.catch(() => undefined);
      await loaded?.dispose();
    },
  };
}
