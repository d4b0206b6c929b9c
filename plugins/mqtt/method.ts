/**
 * The 'mqtt' signaling method: peers meet on an MQTT broker, each subscribed to its own inbox
 * topic (`<prefix>/inbox/<peer id>`), and exchange one WebRTC description each way there. The
 * data channel the descriptions set up (the webrtc plugin's pipe) is the connection; the broker
 * is not needed once it is open.
 *
 * - `invite` presents a link carrying the broker URL, the topic prefix, our id and our
 *   handshake nonce, and takes the first offer that presents the invite's token (single use).
 * - `answer` sends the inviter an offer with the token (through the link's broker: a session of
 *   its own when that is not ours, closed once the attempt is settled).
 * - `listen` keeps the session on our broker and reports offers without a token of a pending
 *   invite as requests; only once core approves one is it answered (our description and our
 *   candidates, our addresses, leave only then; the asker's candidates wait with its offer). A
 *   refusal reaches the asker with its reason.
 * - `reach` sends a known peer an offer marked `reconnect` to its inbox on our broker.
 *
 * Only messages addressed to us are read, and an answer, a candidate or a refusal only when it
 * matches an attempt of ours (or, for a candidate, an offer we hold or answer) and comes from the
 * peer of that attempt. Claims are claims: core's handshake
 * proves the remote's id over the DTLS session the descriptions name.
 */
import { randomBytes } from 'node:crypto';
import {
  PendingInvites,
  RefusedByPeerError,
  cleanReason,
  TransportError,
  describe,
  type AttemptContext,
  type IncomingAttempt,
  type LinkTarget,
  type PeerId,
  type PeerInfo,
  type Pipe,
  type SignalingMethod,
  type SignalingServices,
} from '@whatnext/core';
import type { WebRtcService } from '../webrtc/service';
import { BrokerSession } from './broker-session';
import { METHOD, inviteParams, parseMqttLink, type MqttLinkParams } from './link';
import {
  parseSignal,
  type AnswerMessage,
  type CandidateMessage,
  type IceCandidate,
  type OfferMessage,
  type RefusalMessage,
  type SignalMessage,
} from './messages';
import type { MqttOptions } from './options';
import { MAX_CANDIDATES, asTransportError, startSide, type PipeSettings, type RtcSide } from './peer-connection';

export interface MqttMethodConfig {
  options: MqttOptions;
  /** The webrtc plugin's service: the engine, the ICE servers, the pipe. */
  webrtc: WebRtcService;
  local: PeerInfo;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface MqttMethod extends SignalingMethod<MqttLinkParams> {
  /** End every broker session and pending attempt. */
  shutdown(): Promise<void>;
}

/** Offers held for approval at once; more are refused (core lets 5 wait for the user). */
export const MAX_HELD_OFFERS = 32;

/** A session and the topic prefix used on it. */
interface Broker {
  session: BrokerSession;
  prefix: string;
  primary: boolean;
  /** Attempts using a non-primary session; it closes when the last settles. */
  users: number;
}

interface Outgoing {
  remote: PeerId;
  answer(message: AnswerMessage): void;
  candidate(candidate: IceCandidate): void;
  refuse(message: RefusalMessage): void;
}

/** An offer held for approval, then answered: its dialer's candidates wait here until there is
 * a side to take them. */
interface Incoming {
  remote: PeerId;
  candidates: IceCandidate[];
  side?: RtcSide;
}

export const inboxTopic = (prefix: string, peer: string) => `${prefix}/inbox/${peer}`;

export function createMqttMethod(config: MqttMethodConfig): MqttMethod {
  const { options, webrtc, local, log } = config;
  const settings: PipeSettings = { maxFrameSize: options.maxFrameSize, lowWaterMark: options.lowWaterMark };
  const outgoing = new Map<string, Outgoing>();
  const incoming = new Map<string, Incoming>();
  const invites = new PendingInvites<OfferMessage>();
  const others = new Map<string, Broker>();
  let primary: Broker | undefined;
  let services: SignalingServices | undefined;
  let stopped = false;

  const stoppedError = () => new TransportError('signaling', 'The mqtt plugin is shutting down.');

  function makeBroker(url: string, prefix: string, isPrimary: boolean): Broker {
    const broker: Broker = {
      prefix,
      primary: isPrimary,
      users: 0,
      session: new BrokerSession({
        url,
        // Credentials are for our own broker only; a link's other broker gets none.
        ...(isPrimary && options.username !== undefined && { username: options.username }),
        ...(isPrimary && options.password !== undefined && { password: options.password }),
        inbox: inboxTopic(prefix, local.id),
        message: (payload) => onPayload(broker, payload),
        state: isPrimary ? onPrimaryState : undefined,
        log,
      }),
    };
    return broker;
  }

  const primaryBroker = (): Broker => {
    if (stopped) throw stoppedError();
    primary ??= makeBroker(options.url, options.topicPrefix, true);
    return primary;
  };

  /** Our session for a link's broker: ours when the link names it, else one of its own. */
  const brokerFor = (url: string, prefix: string): Broker => {
    if (url === options.url && prefix === options.topicPrefix) return primaryBroker();
    if (stopped) throw stoppedError();
    const key = `${prefix} ${url}`;
    let broker = others.get(key);
    if (!broker) others.set(key, (broker = makeBroker(url, prefix, false)));
    return broker;
  };

  const use = (broker: Broker): (() => void) => {
    broker.users++;
    let done = false;
    return () => {
      if (done || broker.primary) return;
      done = true;
      if (--broker.users > 0) return;
      const key = [...others].find(([, b]) => b === broker)?.[0];
      if (key !== undefined) others.delete(key);
      void broker.session.close();
    };
  };

  function onPrimaryState(connected: boolean, error?: string, final?: boolean): void {
    if (stopped || !services || !options.listen) return;
    const message = `MQTT broker ${options.url}: ${error ?? 'unreachable'}`.slice(0, 500);
    services.health(connected ? { state: 'connected' } : { state: final ? 'error' : 'retrying', message });
  }

  const send = (broker: Broker, to: string, message: SignalMessage) => broker.session.publish(inboxTopic(broker.prefix, to), JSON.stringify(message));

  function refuse(broker: Broker, offer: OfferMessage, reason: string): void {
    const message: RefusalMessage = { v: 1, type: 'refuse', from: local.id, to: offer.from, attempt: offer.attempt, reason: reason.slice(0, 500) };
    send(broker, offer.from, message).catch((error: unknown) => log('warn', `could not send a refusal through MQTT: ${describe(error)}`));
  }

  /** Every payload from a broker: untrusted. A bad one is refused (logged) and nothing else. */
  function onPayload(broker: Broker, payload: Uint8Array): void {
    let message: SignalMessage;
    try {
      message = parseSignal(payload);
    } catch (error) {
      log('warn', `refused a message from the MQTT broker at ${broker.session.url}: ${describe(error)}`);
      return;
    }
    if (message.to !== local.id || message.from === local.id || stopped) return;
    if (message.type === 'offer') return onOffer(broker, message);
    if (message.type === 'candidate') return onCandidate(message);
    const attempt = outgoing.get(message.attempt);
    if (!attempt || attempt.remote !== message.from) return;
    if (message.type === 'answer') attempt.answer(message);
    else attempt.refuse(message);
  }

  function onCandidate(message: CandidateMessage): void {
    const attempt = outgoing.get(message.attempt);
    if (attempt?.remote === message.from) return attempt.candidate(message.candidate);
    const offer = incoming.get(message.attempt);
    if (offer?.remote !== message.from) return log('debug', `dropped an MQTT candidate from ${message.from} for no attempt with that peer`);
    if (offer.side) return offer.side.candidate(message.candidate);
    if (offer.candidates.length < MAX_CANDIDATES) offer.candidates.push(message.candidate);
  }

  const sendCandidate = (broker: Broker, to: PeerId, attempt: string, candidate: IceCandidate) => {
    const message: CandidateMessage = { v: 1, type: 'candidate', from: local.id, to, attempt, candidate };
    send(broker, to, message).catch((error: unknown) => log('warn', `could not send a candidate through MQTT: ${describe(error)}`));
  };

  const failWith = (side: RtcSide) => (error: unknown) => side.fail(asTransportError(error, 'signaling', describe(error)));

  function onOffer(broker: Broker, offer: OfferMessage): void {
    // The same offer again (QoS 1 may deliver twice) while it is held or answered: one attempt.
    if (incoming.has(offer.attempt)) return;
    if (!broker.primary) return refuse(broker, offer, 'this peer takes no connection requests on this broker');
    if (offer.token !== undefined && invites.take(offer.token, offer)) return;
    if (!services || !options.listen) return refuse(broker, offer, 'this peer is not taking connection requests');
    if (incoming.size >= MAX_HELD_OFFERS) return refuse(broker, offer, 'this peer has too many requests waiting; try again later');
    incoming.set(offer.attempt, { remote: offer.from, candidates: [] });
    const attempt: IncomingAttempt = {
      method: METHOD,
      remote: { id: offer.from, ...(offer.name !== undefined && { name: offer.name }) },
      ...(offer.token !== undefined && { token: offer.token }),
      ...(offer.reconnect && { reconnect: true }),
      accept: async (ctx) => {
        ctx.stage('signaling');
        return answerOffer(broker, offer, ctx);
      },
      reject: (reason) => {
        incoming.delete(offer.attempt);
        refuse(broker, offer, reason);
      },
    };
    services.incoming(attempt);
  }

  /** Answer an offer (after approval or with an invite's token): our description goes back at
   * once, our candidates after it, and the dialer's held candidates go in. */
  function answerOffer(broker: Broker, offer: OfferMessage, ctx: AttemptContext): Promise<Pipe> {
    // Made here for an invite's offer, which is answered as it comes.
    const entry = incoming.get(offer.attempt) ?? { remote: offer.from, candidates: [] };
    incoming.set(offer.attempt, entry);
    const side: RtcSide = startSide(webrtc, ctx, settings, false, offer.nonce, log, {
      description: (sdp) => {
        const answer: AnswerMessage = { v: 1, type: 'answer', from: local.id, to: offer.from, attempt: offer.attempt, sdp };
        send(broker, offer.from, answer).catch(failWith(side));
      },
      candidate: (candidate) => sendCandidate(broker, offer.from, offer.attempt, candidate),
    });
    entry.side = side;
    const settled = () => {
      if (incoming.get(offer.attempt) === entry) incoming.delete(offer.attempt);
    };
    side.pipe.opened.then(settled, settled);
    void side.remote(offer.sdp);
    for (const candidate of entry.candidates.splice(0)) side.candidate(candidate);
    return side.pipe.opened;
  }

  /** Offer to `remote` through `broker` and resolve with the pipe once it opens. */
  async function dial(broker: Broker, remote: PeerId, ctx: AttemptContext, claims: { token?: string; remoteNonce?: string; reconnect?: true }): Promise<Pipe> {
    const done = use(broker);
    try {
      await broker.session.whenReady(ctx.abort);
    } catch (error) {
      done();
      throw error;
    }
    const tag = randomBytes(16).toString('base64url');
    const side: RtcSide = startSide(webrtc, ctx, settings, true, claims.remoteNonce, log, {
      description: (sdp) => {
        const offer: OfferMessage = {
          v: 1,
          type: 'offer',
          from: local.id,
          to: remote,
          attempt: tag,
          sdp,
          name: local.name,
          nonce: ctx.handshake.nonce,
          ...(claims.token !== undefined && { token: claims.token }),
          ...(claims.reconnect && { reconnect: true as const }),
        };
        send(broker, remote, offer).catch(failWith(side));
      },
      candidate: (candidate) => sendCandidate(broker, remote, tag, candidate),
    });
    let answered = false;
    outgoing.set(tag, {
      remote,
      // Kept after the answer: the answering side's candidates follow it.
      answer: (message) => {
        if (answered) return;
        answered = true;
        void side.remote(message.sdp);
      },
      candidate: (candidate) => side.candidate(candidate),
      refuse: (message) => {
        outgoing.delete(tag);
        side.fail(new RefusedByPeerError(cleanReason(message.reason)));
      },
    });
    const settled = () => {
      outgoing.delete(tag);
      done();
    };
    side.pipe.opened.then(settled, settled);
    return side.pipe.opened;
  }

  return {
    name: METHOD,
    description: 'Connect through an MQTT broker: the link carries the broker URL and your peer id; the connection is a WebRTC data channel.',
    transports: [METHOD],

    parseLink: parseMqttLink,

    async invite(ctx: AttemptContext): Promise<Pipe> {
      ctx.stage('signaling');
      const broker = primaryBroker();
      await broker.session.whenReady(ctx.abort);
      const { token } = ctx.presentInvite({
        params: inviteParams(options.url, options.topicPrefix, local.id, ctx.handshake.nonce),
        text: `Send this link to the person you want to connect with. It works while this invite is open, once, through the MQTT broker at ${options.url}.`,
      });
      return invites.wait(ctx, token, (offer) => {
        ctx.claimRemote({ id: offer.from, ...(offer.name !== undefined && { name: offer.name }) });
        return answerOffer(broker, offer, ctx);
      });
    },

    async answer(target: LinkTarget<MqttLinkParams>, ctx: AttemptContext): Promise<Pipe> {
      ctx.stage('signaling');
      const { id, nonce, url, topicPrefix } = target.params;
      if (id === local.id) throw new TransportError('signaling', 'This link is an invite of your own.');
      return dial(brokerFor(url, topicPrefix), id, ctx, {
        ...(ctx.inviteToken !== undefined && { token: ctx.inviteToken }),
        ...(nonce !== undefined && { remoteNonce: nonce }),
      });
    },

    /** A known peer, by its inbox on our own broker (where it listens too, if it does). */
    async reach(peer: PeerId, ctx: AttemptContext): Promise<Pipe> {
      ctx.stage('signaling');
      return dial(primaryBroker(), peer, ctx, { reconnect: true });
    },

    listen(listener: SignalingServices): void {
      services = listener;
      if (!options.listen) return;
      listener.health({ state: 'connecting' });
      primaryBroker();
    },

    async shutdown(): Promise<void> {
      stopped = true;
      services = undefined;
      invites.failAll(stoppedError());
      const brokers = [...(primary ? [primary] : []), ...others.values()];
      primary = undefined;
      others.clear();
      await Promise.all(brokers.map((broker) => broker.session.close()));
    },
  };
}
