/**
 * The signaling contract. A signaling method moves opaque signals between two peers for one
 * connection attempt (or, like a broker, hands over a ready pipe), and can ask the user to do
 * something: show an invite, paste a reply.
 */
import { z } from 'zod';
import type { Dial, DialOptions, Pipe, PipeSink, SignalCodec } from './transport';

import type { ConnectionStage } from './stages';
import type { PeerId, PeerInfo } from './peer';

/** In `SignalingMethod.transports`: any registered transport (host API 2.3.0). For a method
 * that moves raw signals and so can drive whatever transport is installed (manual). */
export const ANY_TRANSPORT = '*';

/** What a method asks of a dial; `tentative` (host API 2.3.0): one of several offered at once. */
export type DialRequest = Pick<DialOptions, 'initiator' | 'sendSignal' | 'trickle'>;

/**
 * A dial made while it is not yet known which of several transports the remote will take (an
 * invite offering each): nothing it reports reaches the connection (no frame, no binding, no
 * stage) until the method `choose`s it. Choosing one cancels the attempt's other tentative
 * dials; `cancel` ends this one. Either way no transport's session is mistaken for another's.
 */
export interface TentativeDial extends Dial {
  readonly transport: string;
  choose(): void;
  cancel(): void;
}

/** Something a method shows the user (no answer expected): an invite link, a reply code. */
export const Display = z.object({
  title: z.string().max(200),
  text: z.string().max(2000).optional(),
  /** A whtnxt:// link the user passes on. */
  link: z.string().max(8192).optional(),
  /** The same content as a code to copy (for channels that mangle links). */
  code: z.string().max(8192).optional(),
});
export type Display = z.infer<typeof Display>;

/** A question a method asks the user; the answer is text (a pasted reply code, say). */
export const Question = z.object({
  title: z.string().max(200),
  label: z.string().max(200),
  placeholder: z.string().max(200).optional(),
});
export type Question = z.infer<typeof Question>;

/** What a link (or an incoming request) says about who is on the other side. Claims only: the
 * connection handshake checks a claimed id against the id the remote proves. */
export interface RemoteClaim {
  id?: PeerId;
  name?: string;
}

/** A link a method has validated: who it leads to and the method's own parsed parameters. */
export interface LinkTarget<P = unknown> {
  method: string;
  remote: RemoteClaim;
  params: P;
}

/** Given to a method for the duration of one attempt. */
export interface AttemptContext {
  readonly attemptId: string;
  readonly local: PeerInfo;
  /** The invite token of this attempt: for an answer, the one the link carried (send it back
   * to the inviter); for an invite, the one `presentInvite` returned. */
  readonly inviteToken: string | undefined;
  /** Aborted when the user cancels, the attempt times out (30 s) or the host stops. */
  readonly abort: AbortSignal;
  /** The sink the resulting pipe must report to (methods that build pipes themselves). */
  readonly sink: PipeSink;
  /** The registered transports this method may drive now, in its order: those its `transports`
   * names, or every registered one (in registration order) for `ANY_TRANSPORT` (host API 2.3.0). */
  readonly transports: readonly string[];
  /** Dial a registered transport with this attempt's sink, stage reporting and abort. */
  dial(transport: string, options: DialRequest & { tentative: true }): TentativeDial;
  dial(transport: string, options: DialRequest & { tentative?: false }): Dial;
  /** The compact form of a registered transport's signals, if it has one (host API 2.2.0). */
  signalCodec(transport: string): SignalCodec | undefined;
  stage(stage: ConnectionStage): void;
  /** Present the invite: core builds the `whtnxt://connect?v=1&via=<method>&...` link from
   * `params` (plus the local display name) and shows it with the optional code. Returns the
   * invite token core added to the link (`t`), which the answering side sends back.
   * `expiresAt` (epoch ms): when the invite stops working, if the method bounds it itself; the
   * attempt then ends at that moment instead of after core's invite lifetime (10 min). */
  presentInvite(invite: { params: Record<string, string>; code?: string; text?: string; expiresAt?: number }): { link: string; token: string };
  /** Show the user something to pass on. From then on the attempt waits for a human, so it is
   * bounded by the invite lifetime (10 min) instead of the 30 s connect timeout. */
  show(display: Display): void;
  /** Ask the user for text. `validate` runs when the answer arrives: if it throws, the user's
   * request fails with that error and the question stays open for another try. The promise
   * resolves with the answer that passed `validate`, unchanged. */
  ask(question: Question, validate?: (answer: string) => void): Promise<string>;
  /** Tell core who the remote claims to be, as soon as it is known (before approval). */
  claimRemote(remote: RemoteClaim): void;
  /** The connection handshake, for methods that can carry part of it while signaling. */
  readonly handshake: HandshakeAhead;
}

/** A handshake nonce: 16 random bytes, base64url. */
export const HandshakeNonce = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a nonce is 16 bytes of base64url');

/**
 * Core's connection handshake proves each peer's id on the pipe, which takes trips once the
 * pipe opens. A method that can carry a little through signaling moves that work ahead, while
 * the transport connects: the nonce one way (say, in an offer), the hello the other (in the
 * answer). Then the side that got the hello opens as soon as its pipe does, and the other on
 * the first frame. All optional; what comes in here is untrusted and checked as if it came on
 * the pipe. Whatever does not check out (malformed, or a proof for a nonce no longer in use) is
 * set aside, and the pipe finishes the handshake.
 *
 * Proofs are bound to the transport's secure session when it has one (`PipeSink.binding`): a
 * method that is also the transport reports each side's binding through `ctx.sink` as soon as
 * it knows it, ours before taking our hello and the remote's before passing on the remote's.
 */
export interface HandshakeAhead {
  /** Our nonce, to send to the remote. */
  readonly nonce: string;
  /** The remote's nonce as it arrived (after `claimRemote`, or with a link naming the remote):
   * our proof for it is made now. */
  remoteNonce(nonce: string): void;
  /** Our hello with that proof, to send to the remote (JSON), once the proof is made (signing
   * takes a moment; a proof being made again for our binding is waited for). Undefined if no
   * proof is being made: then send nothing. */
  hello(): Promise<unknown>;
  /** The remote's hello as it arrived. */
  remoteHello(hello: unknown): void;
}

/** An unsolicited incoming attempt (from a broker). Core runs it through approval first. */
export interface IncomingAttempt {
  method: string;
  remote: RemoteClaim;
  /** Invite token the remote presented, if any: one from an invite of ours is consent. */
  token?: string;
  /** Called after approval: produce the pipe, reporting to the attempt's sink. */
  accept(ctx: AttemptContext): Promise<Pipe>;
  /** Called when the attempt is refused, with the reason the remote should be told. */
  reject(reason: string): void;
  /** The remote says it is reconnecting a pairing (it dialled through `reach`). A claim like any
   * other: only a known peer's is approved without asking, and the handshake proves the id. */
  reconnect?: boolean;
}

/**
 * How a method that depends on a server (a broker) is doing, as the user should see it:
 * - `connecting`: reaching the server for the first time;
 * - `connected`: registered, reachable by others;
 * - `retrying`: the server is unreachable or dropped us; the method keeps trying (`message`
 *   says what failed last);
 * - `error`: it stopped trying (a refusal that trying again cannot fix: a taken id, a bad key).
 * `since` (ms since the epoch) is when it entered this state, stamped by core.
 */
export const SignalingHealth = z.object({
  state: z.enum(['connecting', 'connected', 'retrying', 'error']),
  since: z.number(),
  message: z.string().max(500).optional(),
});
export type SignalingHealth = z.infer<typeof SignalingHealth>;

export interface SignalingServices {
  /** Report an incoming attempt (from a broker connection, say). */
  incoming(attempt: IncomingAttempt): void;
  /** Report the method's health when it changes (methods that need no server never call it).
   * A report in the same state only updates the message; `since` stays. */
  health(report: Omit<SignalingHealth, 'since'>): void;
  readonly local: PeerInfo;
}

export interface SignalingMethod<P = unknown> {
  readonly name: string;
  readonly description: string;
  /** Names of the transports this method can drive, or `[ANY_TRANSPORT]`: whichever are
   * registered (read at each use, so a transport a plugin registers later counts too). */
  readonly transports: readonly string[];
  /** Validate a link's method-specific parameters (untrusted). Throw a `LinkError` with a
   * human-readable reason when they are wrong. */
  parseLink(params: Record<string, string>): LinkTarget<P>;
  /** Start an invite: present it, then resolve with the pipe once someone answers. */
  invite(ctx: AttemptContext): Promise<Pipe>;
  /** Reach a peer by its id alone, with no link and no person (a broker that finds registered
   * peers by id): how core reconnects known peers. Methods that cannot leave it out. */
  reach?(peer: PeerId, ctx: AttemptContext): Promise<Pipe>;
  /** Answer an approved link: resolve with the pipe. */
  answer(target: LinkTarget<P>, ctx: AttemptContext): Promise<Pipe>;
  /** Optional: invites of this method can travel as a bare code. Text starting with `prefix`
   * that is opened like a link is read as the link parameter `param` of this method. */
  readonly code?: { prefix: string; param: string };
  /** Optional: start listening for unsolicited attempts (brokers). */
  listen?(services: SignalingServices): Promise<void> | void;
}
