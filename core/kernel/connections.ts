/**
 * ConnectionManager: the transport-agnostic flow from a link or an invite to an open connection.
 *
 *   invite(method)      → method.invite(ctx) presents a link, resolves with a pipe when answered
 *   openLink(link)      → codec → resolveLink hook → approval → method.answer(target, ctx)
 *   incoming (broker)   → approval → attempt.accept(ctx)
 *
 * Approval: the `approve` bail hook first (policies), then the user, who has 30 s. Nothing
 * dials before approval. After approval a connection has 30 s to open. Every attempt and
 * connection change is emitted so a UI is never left with a silent spinner.
 */
import type { PeerInfo } from '../contracts/peer';
import { ANY_TRANSPORT, type AttemptContext, type IncomingAttempt, type LinkTarget, type SignalingHealth, type SignalingMethod } from '../contracts/signaling';
import type { Pipe } from '../contracts/transport';
import { createConnection, type UpgradingConnection } from '../connection/connection';
import type { CloseReason, Connection, ConnectionOptions } from '../connection/types';
import { LinkError, PluginError, TransportError, WhatNextError, describe } from '../errors';
import { encodeLink, parseLink, type ParsedLink } from '../link';
import { APPROVAL_TIMEOUT, type AttemptSummary, type ConnectionSummary, type ErrorInfo } from '../protocol/shapes';
import { Emitter } from '../util/emitter';
import { raceAbort } from '../util/abort';
import { randomToken } from '../util/ids';
import { Attempt } from './attempt';
import type { ApprovalDecision, ApprovalRequest, ConnectionRecord } from './hooks';
import type { PluginHost } from './host';
import { tentativeDials, type StartDial } from './tentative-dials';

export interface ConnectionManagerOptions {
  /** How long the user has to approve (ms). Default 30 000. */
  approvalTimeoutMs?: number;
  /** How long an approved attempt has to open (ms). Default 30 000. */
  connectTimeoutMs?: number;
  /** How long an invite waits for an answer (ms). Default 10 minutes. */
  inviteTtlMs?: number;
  /** Invites waiting for an answer at once (each may hold a native peer connection for its
   * lifetime). Default 20. */
  maxPendingInvites?: number;
  /** Incoming requests waiting for the user at once, whoever they claim to be; more are refused
   * before anyone is asked. Default 5. */
  maxPendingApprovals?: number;
  /** How long an open connection has to answer a ping when a new one to the same peer comes
   * (a peer that restarted leaves its old connection open here until the dead-peer timeout).
   * Default 2000. */
  livenessProbeMs?: number;
  /** Link schemes accepted (`whtnxt`, plus `whtnxt-dev` in development). */
  linkSchemes?: readonly string[];
  /** Scheme of the links invites produce. */
  inviteScheme?: string;
  connection?: Omit<ConnectionOptions, 'local' | 'expectedRemote'>;
}

interface ManagerEvents extends Record<string, unknown> {
  attempt: AttemptSummary;
  connection: ConnectionSummary;
  'link-rejected': { link: string; error: ErrorInfo };
  health: { method: string; health: SignalingHealth };
}

/** A policy's decision, or the user's; `timedOut`: the user's silence until the deadline. */
type UserOrPolicyDecision = ApprovalDecision & { timedOut?: boolean };

interface OpenConnection {
  record: ConnectionRecord;
  /** The connection as the manager holds it (its session key, closing with a code). */
  upgrading: UpgradingConnection;
  /** The attempt that opened it (forgotten by the manager once the connection closes). */
  attempt: Attempt;
  /** When it was registered, on the manager's count (see `#serial`). */
  serial: number;
}

export class ConnectionManager {
  #attempts = new Map<string, Attempt>();
  #connections = new Map<string, OpenConnection>();
  /** Incoming attempts whose approval is up to the user now (policies did not decide). */
  #incomingAsked = new Set<Attempt>();
  /** What the methods that depend on a server last said of their health. */
  #health = new Map<string, SignalingHealth>();
  #events = new Emitter<ManagerEvents>((error) => this.host.log('error', `listener failed: ${describe(error)}`));
  #options: Required<Omit<ConnectionManagerOptions, 'connection'>> & Pick<ConnectionManagerOptions, 'connection'>;
  #stopped = false;
  /** Counts attempts begun and connections registered: which came first. */
  #serial = 0;
  /** Each attempt's place on that count, when it began. */
  #began = new WeakMap<Attempt, number>();

  constructor(
    readonly host: PluginHost,
    options: ConnectionManagerOptions = {},
  ) {
    this.#options = {
      approvalTimeoutMs: options.approvalTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      inviteTtlMs: options.inviteTtlMs ?? 10 * 60_000,
      maxPendingInvites: options.maxPendingInvites ?? 20,
      maxPendingApprovals: options.maxPendingApprovals ?? 5,
      livenessProbeMs: options.livenessProbeMs ?? 2000,
      linkSchemes: options.linkSchemes ?? ['whtnxt'],
      inviteScheme: options.inviteScheme ?? options.linkSchemes?.[0] ?? 'whtnxt',
      connection: options.connection,
    };
  }

  on<E extends keyof ManagerEvents>(event: E, listener: (value: ManagerEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Start the methods that listen for unsolicited attempts (brokers). */
  async start(): Promise<void> {
    for (const method of this.host.signaling.list()) {
      if (!method.listen) continue;
      try {
        await method.listen({
          local: this.host.local,
          incoming: (attempt) => this.#incoming(attempt),
          health: (report) => this.#reportHealth(method.name, report),
        });
      } catch (error) {
        this.host.log('warn', `signaling method ${method.name} could not listen: ${describe(error)}`);
      }
    }
  }

  /** A method's health, if it reported any (methods that need no server do not). */
  health(method: string): SignalingHealth | undefined {
    const health = this.#health.get(method);
    return health && { ...health };
  }

  #reportHealth(method: string, report: Omit<SignalingHealth, 'since'>): void {
    if (this.#stopped) return;
    const before = this.#health.get(method);
    const message = report.message?.slice(0, 500);
    if (before?.state === report.state && before.message === message) return;
    const health: SignalingHealth = { state: report.state, since: before?.state === report.state ? before.since : Date.now(), ...(message ? { message } : {}) };
    this.#health.set(method, health);
    this.#events.emit('health', { method, health: { ...health } });
  }

  attempts(): AttemptSummary[] {
    return [...this.#attempts.values()].map((attempt) => attempt.summary());
  }

  connections(): ConnectionSummary[] {
    return [...this.#connections.keys()].map((id) => this.#summary(id)).filter((c): c is ConnectionSummary => !!c);
  }

  connection(id: string): Connection {
    const entry = this.#connections.get(id);
    if (!entry) throw new WhatNextError('unknown_connection', `There is no open connection with id ${id}.`);
    return entry.record.connection;
  }

  /** Create an invite with `methodName`; the summary carries the link once the method presents it. */
  invite(methodName: string): AttemptSummary {
    this.#assertRunning();
    const method = this.host.signaling.get(methodName);
    const { maxPendingInvites } = this.#options;
    if (this.#count((a) => a.role === 'inviter' && a.state !== 'open') >= maxPendingInvites) {
      throw new WhatNextError(
        'too_many_invites',
        `${maxPendingInvites} invites are already waiting for an answer: cancel one, or wait until one is answered or expires.`,
      );
    }
    const attempt = this.#newAttempt(method.name, 'inviter', {});
    attempt.inviteToken = randomToken();
    this.#waitForHuman(attempt);
    void this.#connect(attempt, method, undefined, (ctx) => method.invite(ctx));
    return attempt.summary();
  }

  /** Validate an untrusted link and raise an attempt that waits for approval. */
  async openLink(input: string): Promise<AttemptSummary> {
    this.#assertRunning();
    let target: LinkTarget;
    let token: string | undefined;
    try {
      const link = this.#codeAsLink(input.trim()) ?? parseLink(input.trim(), { schemes: this.#options.linkSchemes });
      if (!this.host.signaling.has(link.via)) {
        const installed =
          this.host.signaling
            .list()
            .map((m) => m.name)
            .join(', ') || 'none';
        throw new LinkError('unknown-method', `This link uses the signaling method "${link.via}", which is not installed (installed: ${installed}).`);
      }
      const resolved = this.host.hooks.resolveLink.for(link.via).call(link);
      if (!resolved) throw new LinkError('unresolved', `No plugin could read this "${link.via}" link.`);
      target = { ...resolved, remote: { ...resolved.remote, ...(link.name && !resolved.remote.name ? { name: link.name } : {}) } };
      token = link.token;
      await this.#refuseSelfOrConnected(target.remote);
    } catch (error) {
      const info = errorInfo(error instanceof PluginError && error.cause instanceof LinkError ? error.cause : error);
      this.#events.emit('link-rejected', { link: input.slice(0, 200), error: info });
      throw error instanceof PluginError && error.cause instanceof LinkError ? error.cause : error;
    }
    this.#assertRunning();
    const method = this.host.signaling.get(target.method);
    const attempt = this.#newAttempt(method.name, 'answerer', target.remote);
    attempt.inviteToken = token;
    void this.#approveThenConnect(attempt, method, target.remote.id, { direction: 'outgoing' }, (ctx) => method.answer(target, ctx));
    return attempt.summary();
  }

  /** Before anyone is asked: a link from this peer itself, or from a peer already connected
   * (unless that connection no longer answers: the peer restarted, say). An untrusted link only
   * looks: the silent connection goes once a new one to that peer really opens (`#opened`). */
  async #refuseSelfOrConnected(remote: LinkTarget['remote']): Promise<void> {
    if (!remote.id) return;
    if (remote.id === this.host.local.id) {
      throw new LinkError('self', 'This invite is your own: send it to the person you want to connect with (opening it here would connect you to yourself).');
    }
    const open = this.#openTo(remote.id);
    if (open && (await open.upgrading.alive(this.#options.livenessProbeMs))) {
      const name = open.record.remote.name ?? remote.name ?? remote.id;
      throw new LinkError('already-connected', `You are already connected to ${name}: use the open connection.`);
    }
  }

  /** Whether an open connection answers a ping now; one that does not is closed. */
  async #stillAnswers(open: OpenConnection): Promise<boolean> {
    if (await open.upgrading.alive(this.#options.livenessProbeMs)) return true;
    void open.upgrading.closeAs('peer-timeout', 'the peer connected again, and this connection no longer answered');
    return false;
  }

  /** The newest open connection to `peerId`, if there is one (other than `except`; registered
   * after `since` on the manager's count, when given). */
  #openTo(peerId: string, except?: string, since = -1): OpenConnection | undefined {
    return this.#allOpenTo(peerId, except).findLast((entry) => entry.serial > since);
  }

  /** Every open connection to `peerId` (other than `except`), oldest first. */
  #allOpenTo(peerId: string, except?: string): OpenConnection[] {
    return [...this.#connections.values()].filter(
      (entry) => entry.record.remote.id === peerId && entry.record.id !== except && entry.record.connection.state === 'open',
    );
  }

  /** The next connection to `peerId` to open, or undefined once `signal` aborts. */
  #whenOpenTo(peerId: string, signal: AbortSignal): Promise<OpenConnection | undefined> {
    return new Promise((resolve) => {
      const done = (entry: OpenConnection | undefined) => {
        off();
        signal.removeEventListener('abort', aborted);
        resolve(entry);
      };
      const aborted = () => done(undefined);
      const off = this.#events.on('connection', (summary) => {
        const entry = summary.remote.id === peerId && summary.state === 'open' ? this.#connections.get(summary.id) : undefined;
        if (entry) done(entry);
      });
      if (signal.aborted) aborted();
      else signal.addEventListener('abort', aborted);
    });
  }

  /** Dial a known peer through a method that can reach peers by id (`SignalingMethod.reach`),
   * with no link and no one to ask: the caller (the service's reconnection of known peers)
   * decided. No link names a server here: the method uses its own configuration. */
  reach(methodName: string, peer: { id: string; name?: string }): AttemptSummary {
    this.#assertRunning();
    const method = this.host.signaling.get(methodName);
    const reach = method.reach?.bind(method);
    if (!reach) throw new WhatNextError('cannot_reach', `The signaling method ${method.name} cannot reach a peer by its id.`);
    if (peer.id === this.host.local.id) throw new WhatNextError('cannot_reach', 'A peer cannot connect to itself.');
    if (this.#openTo(peer.id)) throw new WhatNextError('already_connected', `There is an open connection to ${peer.name ?? peer.id} already.`);
    const attempt = this.#newAttempt(method.name, 'reconnect', { id: peer.id, ...(peer.name !== undefined && { name: peer.name }) });
    void this.#connectWithin(attempt, method, peer.id, (ctx) => reach(peer.id, ctx), 'outgoing');
    return attempt.summary();
  }

  /** A bare invite code (see `SignalingMethod.code`) read as the link it stands for. */
  #codeAsLink(input: string): ParsedLink | undefined {
    for (const method of this.host.signaling.list()) {
      if (method.code && input.startsWith(method.code.prefix)) {
        return { version: 1, via: method.name, params: { [method.code.param]: input } };
      }
    }
    return undefined;
  }

  approve(attemptId: string): AttemptSummary {
    const attempt = this.#attempt(attemptId);
    if (!attempt.decide(true)) throw new WhatNextError('not_awaiting_approval', `Attempt ${attemptId} is not waiting for approval (it is ${attempt.state}).`);
    return attempt.summary();
  }

  reject(attemptId: string, reason = 'rejected by the user'): AttemptSummary {
    const attempt = this.#attempt(attemptId);
    if (!attempt.decide(false, reason))
      throw new WhatNextError('not_awaiting_approval', `Attempt ${attemptId} is not waiting for approval (it is ${attempt.state}).`);
    return attempt.summary();
  }

  answer(attemptId: string, questionId: string, text: string): AttemptSummary {
    const attempt = this.#attempt(attemptId);
    if (!attempt.answer(questionId, text))
      throw new WhatNextError('no_such_question', `Attempt ${attemptId} is not waiting for an answer to question ${questionId}.`);
    return attempt.summary();
  }

  /** Cancel an attempt; `message` says why (the failover moving on to another method, say). */
  cancel(attemptId: string, message = 'Cancelled.'): AttemptSummary {
    const attempt = this.#attempt(attemptId);
    if (attempt.state === 'open') throw new WhatNextError('attempt_open', 'This attempt already opened a connection: close the connection instead.');
    attempt.update({ state: 'cancelled', error: { code: 'cancelled', message } });
    return attempt.summary();
  }

  async close(connectionId: string, reason?: string): Promise<void> {
    await this.connection(connectionId).close(reason);
  }

  /** Cancel every attempt and close every connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const attempt of this.#attempts.values()) {
      if (attempt.state !== 'open') attempt.update({ state: 'cancelled', error: { code: 'stopping', message: 'The service is stopping.' } });
    }
    await Promise.allSettled([...this.#connections.values()].map(({ upgrading }) => upgrading.closeAs('shutdown', SHUTTING_DOWN)));
  }

  #incoming(incoming: IncomingAttempt): void {
    if (this.#stopped) return incoming.reject(SHUTTING_DOWN);
    let method: SignalingMethod;
    try {
      method = this.host.signaling.get(incoming.method);
    } catch {
      return incoming.reject(`unknown signaling method ${incoming.method}`);
    }
    if (incoming.remote.id === this.host.local.id) return incoming.reject('a peer cannot connect to itself');
    const attempt = this.#newAttempt(method.name, 'incoming', incoming.remote);
    attempt.inviteToken = incoming.token;
    void this.#approveThenConnect(
      attempt,
      method,
      incoming.remote.id,
      { direction: 'incoming', ...(incoming.reconnect && { reconnect: true }) },
      (ctx) => incoming.accept(ctx),
      (reason) => incoming.reject(reason),
    );
  }

  async #approveThenConnect(
    attempt: Attempt,
    method: SignalingMethod,
    expectedRemote: string | undefined,
    request: Pick<ApprovalRequest, 'direction' | 'reconnect'>,
    open: (ctx: AttemptContext) => Promise<Pipe>,
    refuse?: (reason: string) => void,
  ): Promise<void> {
    let decision: UserOrPolicyDecision;
    try {
      decision = await this.#decide(attempt, request);
    } catch (error) {
      refuse?.('approval failed');
      return this.#fail(attempt, error);
    }
    if (attempt.done) return refuse?.(`the attempt was ${attempt.state}`);
    attempt.decidedBy = decision.by;
    if (!decision.approve) {
      refuse?.(decision.reason);
      const error: ErrorInfo = { code: 'rejected', message: decision.reason, ...(decision.timedOut && { reason: APPROVAL_TIMEOUT }) };
      return attempt.update({ state: 'rejected', error });
    }
    attempt.update({ state: 'connecting' });
    await this.#connectWithin(attempt, method, expectedRemote, open, request.direction);
  }

  /** Connect an approved attempt, failing it if it does not open in time. */
  async #connectWithin(
    attempt: Attempt,
    method: SignalingMethod,
    expectedRemote: string | undefined,
    open: (ctx: AttemptContext) => Promise<Pipe>,
    direction: 'incoming' | 'outgoing',
  ): Promise<void> {
    attempt.deadline(this.#options.connectTimeoutMs, () =>
      this.#fail(
        attempt,
        new TransportError(
          attempt.stage,
          `The connection did not open within ${Math.round(this.#options.connectTimeoutMs / 1000)} s (stuck at ${attempt.stage}).`,
        ),
      ),
    );
    await this.#connect(attempt, method, expectedRemote, open, direction);
  }

  async #decide(attempt: Attempt, request: Pick<ApprovalRequest, 'direction' | 'reconnect'>): Promise<UserOrPolicyDecision> {
    const policy = await this.host.hooks.approve.promise({ attemptId: attempt.id, method: attempt.method, remote: { ...attempt.remote }, ...request });
    // A link names its peer and its server; approving it without the user would let any link
    // make us contact a server of its choosing (see ApprovalRequest).
    if (policy && (!policy.approve || request.direction === 'incoming')) return policy;
    if (policy) this.host.log('debug', `${policy.by} approved an outgoing link; outgoing links are approved by the user only`);
    const { maxPendingApprovals } = this.#options;
    if (request.direction === 'incoming') {
      if (this.#incomingAsked.size >= maxPendingApprovals) {
        return { approve: false, by: 'host', reason: `too many requests are waiting for an answer (at most ${maxPendingApprovals}); try again later` };
      }
      this.#incomingAsked.add(attempt);
    }
    const user = await attempt.waitForApproval().finally(() => this.#incomingAsked.delete(attempt));
    if (user.approve) return { approve: true, by: 'user' };
    return { approve: false, by: 'user', reason: user.reason ?? 'rejected', timedOut: user.timedOut };
  }

  async #connect(
    attempt: Attempt,
    method: SignalingMethod,
    expectedRemote: string | undefined,
    open: (ctx: AttemptContext) => Promise<Pipe>,
    direction: 'incoming' | 'outgoing' = attempt.role === 'incoming' ? 'incoming' : 'outgoing',
  ): Promise<void> {
    const connection = createConnection({
      ...this.#options.connection,
      local: this.host.local,
      ...(expectedRemote ? { expectedRemote } : {}),
    });
    attempt.transport = this.transportsOf(method)[0] ?? method.name;
    connection.on('stage', (stage) => attempt.update({ stage }));
    const ctx = this.#context(attempt, method, connection);
    try {
      const pipe = await open(ctx);
      if (attempt.done) {
        pipe.close();
        throw attempt.abort.signal.reason ?? new WhatNextError('attempt_ended', `the attempt was ${attempt.state}`);
      }
      connection.attach(pipe);
      await raceAbort(connection.opened, attempt.abort.signal);
      // A claim made during signaling (a reply code, say) must match who the handshake met.
      const claimed = attempt.remote.id;
      if (claimed && connection.remote?.id !== claimed) {
        throw new TransportError('handshake', `The peer claimed to be ${claimed} but is ${connection.remote?.id}.`);
      }
      if (connection.remote?.id === this.host.local.id) {
        throw new TransportError('handshake', 'The other end is this peer itself: a peer cannot connect to itself.');
      }
    } catch (error) {
      // The remote kept the other of two connections between us: it is open here, or opening.
      // (Who the remote is may not be known yet: the close can overtake its hello's check.)
      const remoteId = connection.closeReason?.code === 'duplicate' ? (connection.remote?.id ?? attempt.remote.id) : undefined;
      const twin = remoteId && (this.#openTo(remoteId) ?? (await this.#whenOpenTo(remoteId, attempt.abort.signal)));
      if (twin) return this.#joined(attempt, twin);
      if (connection.state === 'connecting') connection.fail(error instanceof TransportError ? error.stage : attempt.stage, error);
      else void connection.close(describe(error));
      return this.#fail(attempt, error, connection.closeReason);
    }
    attempt.clearTimers();
    await this.#opened(attempt, connection, method, direction);
  }

  /** The transports `method` drives: those it names, or every registered one for `ANY_TRANSPORT`. */
  transportsOf(method: SignalingMethod): string[] {
    return method.transports.includes(ANY_TRANSPORT) ? this.host.transports.names() : [...method.transports];
  }

  #context(attempt: Attempt, method: SignalingMethod, connection: UpgradingConnection): AttemptContext {
    const registry = this.host.transports;
    const drivable = () => this.transportsOf(method);
    const offer = tentativeDials({
      sink: connection.sink,
      stage: (stage) => connection.setStage(stage),
      abort: attempt.abort.signal,
      chosen: (transport) => (attempt.transport = transport),
    });
    return {
      attemptId: attempt.id,
      local: this.host.local,
      get inviteToken() {
        return attempt.inviteToken;
      },
      abort: attempt.abort.signal,
      sink: connection.sink,
      get transports() {
        return drivable().filter((name) => registry.has(name));
      },
      dial: ((transport: string, { tentative, ...request }: Parameters<AttemptContext['dial']>[1]) => {
        if (!drivable().includes(transport)) {
          throw new WhatNextError('transport_not_supported', `signaling method ${method.name} cannot drive transport ${transport}`);
        }
        const start: StartDial = ({ sink, stage, abort }) => registry.get(transport).dial({ ...request, sink, stage, abort });
        if (tentative) return offer(transport, start);
        attempt.transport = transport;
        return start({ sink: connection.sink, stage: (s) => connection.setStage(s), abort: attempt.abort.signal });
      }) as AttemptContext['dial'],
      signalCodec: (transport) => (drivable().includes(transport) && registry.has(transport) ? registry.get(transport).signalCodec : undefined),
      stage: (stage) => connection.setStage(stage),
      presentInvite: ({ params, code, text, expiresAt }) => {
        const token = attempt.inviteToken ?? randomToken();
        const link = encodeLink({ version: 1, via: method.name, name: this.host.local.name, token, params }, { scheme: this.#options.inviteScheme });
        attempt.update({ invite: { link, ...(code ? { code } : {}), ...(text ? { text } : {}) } });
        if (expiresAt !== undefined) this.#waitForHuman(attempt, expiresAt - Date.now());
        return { link, token };
      },
      show: (display) => {
        attempt.show(display);
        this.#waitForHuman(attempt);
      },
      ask: (question, validate) => attempt.ask(question, validate),
      claimRemote: (remote) => attempt.update({ remote: { ...attempt.remote, ...remote } }),
      handshake: connection.handshakeAhead(() => attempt.remote.id),
    };
  }

  /** The attempt now waits for people (an invite to be answered, a code to come back), for
   * core's invite lifetime or the one the method gave its invite (within a day). */
  #waitForHuman(attempt: Attempt, lifetimeMs = this.#options.inviteTtlMs): void {
    const bounded = Math.min(Math.max(0, lifetimeMs), MAX_INVITE_LIFETIME_MS);
    attempt.deadline(bounded, () => this.#fail(attempt, new WhatNextError('invite_expired', 'Nobody answered in time; start a new invite.')));
  }

  async #opened(attempt: Attempt, connection: UpgradingConnection, method: SignalingMethod, direction: 'incoming' | 'outgoing'): Promise<void> {
    const remote = connection.remote as PeerInfo;
    const began = this.#began.get(attempt) ?? -1;
    // Connections to the same peer that opened while this one was on its way: one that no longer
    // answers goes; if both answer, both peers dialled each other at once, and each side keeps
    // the one with the smaller session key (made of both sides' nonces, so the same on both
    // ends) and closes the other. Looked at again after each probe: others may have opened
    // meanwhile.
    for (let round = 0; round < MAX_TWIN_ROUNDS; round++) {
      const existing = this.#openTo(remote.id, connection.id, began);
      if (!existing) break;
      const alive = await this.#stillAnswers(existing);
      if (attempt.done || this.#stopped) {
        void (attempt.done ? connection.close(`the attempt was ${attempt.state}`) : connection.closeAs('shutdown', SHUTTING_DOWN));
        return;
      }
      if (connection.state !== 'open') {
        const survivor = this.#openTo(remote.id, connection.id);
        if (survivor) return this.#joined(attempt, survivor);
        return this.#fail(attempt, new TransportError('open', `The connection closed as it opened: ${connection.closeReason?.message ?? 'no reason given'}.`));
      }
      if (alive && existing.upgrading.state === 'open') {
        if (loses(connection, existing.upgrading)) {
          void connection.closeAs('duplicate', TWIN);
          return this.#joined(attempt, existing);
        }
        void existing.upgrading.closeAs('duplicate', TWIN);
      }
      // The attempt that opened the earlier connection now leads to this one.
      existing.attempt.update({ connectionId: connection.id });
    }
    // Connections open since before this attempt began are weighed once this one is open (see
    // #weighOlder): the peer dialled again while one was open here, so it most likely no longer
    // has that one.
    const older = this.#allOpenTo(remote.id, connection.id);
    const record: ConnectionRecord = { id: connection.id, method: method.name, transport: attempt.transport ?? method.name, direction, remote, connection };
    const entry: OpenConnection = { record, upgrading: connection, attempt, serial: ++this.#serial };
    this.#connections.set(connection.id, entry);
    attempt.update({ state: 'open', stage: 'open', connectionId: connection.id, remote: { id: remote.id, name: remote.name } });
    const emit = () => {
      const summary = this.#summary(connection.id);
      if (summary) this.#events.emit('connection', summary);
    };
    connection.on('state', emit);
    connection.on('stage', emit);
    connection.on('path', emit);
    void connection.closed.then((reason: CloseReason) => {
      emit();
      this.#connections.delete(connection.id);
      this.#attempts.delete(attempt.id);
      this.host.hooks.connectionClosed.call(record, reason);
    });
    emit();
    void this.host.hooks.connectionOpened.promise(record);
    for (const old of older) void this.#weighOlder(old, entry);
  }

  /** A connection to the same peer that was open before `fresh`'s attempt began. The peer
   * reached us anew meanwhile, so its path most likely went (the peer moved, or restarted
   * without a word): `fresh` carries the traffic at once rather than after the probe. The old
   * one goes if it does not answer; if it does, the session keys decide as for two peers that
   * dialled each other at once (the other side, seeing both, decides alike). */
  async #weighOlder(old: OpenConnection, fresh: OpenConnection): Promise<void> {
    const alive = await this.#stillAnswers(old);
    if (this.#stopped || fresh.upgrading.state !== 'open') return;
    if (alive && old.upgrading.state === 'open') {
      if (loses(fresh.upgrading, old.upgrading)) {
        void fresh.upgrading.closeAs('duplicate', TWIN);
        return void fresh.attempt.update({ connectionId: old.record.id });
      }
      void old.upgrading.closeAs('duplicate', TWIN);
    }
    old.attempt.update({ connectionId: fresh.record.id });
  }

  /** The attempt reached its peer through a connection already open (its own gave way). */
  #joined(attempt: Attempt, open: OpenConnection): void {
    attempt.clearTimers();
    attempt.update({ state: 'open', stage: 'open', connectionId: open.record.id, remote: { id: open.record.remote.id, name: open.record.remote.name } });
    this.#attempts.delete(attempt.id);
  }

  #fail(attempt: Attempt, error: unknown, reason?: CloseReason): void {
    if (attempt.done) return;
    const info = errorInfo(error);
    if (reason?.stage && !info.stage) info.stage = reason.stage;
    if (!info.stage) info.stage = attempt.stage;
    attempt.update({ state: 'failed', error: info });
  }

  #newAttempt(method: string, role: AttemptSummary['role'], remote: AttemptSummary['remote']): Attempt {
    const attempt = new Attempt(
      method,
      role,
      remote,
      (changed) => {
        this.#events.emit('attempt', changed.summary());
        // A settled attempt has said why in the event just sent; it is not listed any more.
        if (changed.done) this.#attempts.delete(changed.id);
      },
      this.#options.approvalTimeoutMs,
    );
    this.#attempts.set(attempt.id, attempt);
    this.#began.set(attempt, this.#serial++);
    this.#events.emit('attempt', attempt.summary());
    return attempt;
  }

  #count(predicate: (attempt: Attempt) => boolean): number {
    let count = 0;
    for (const attempt of this.#attempts.values()) if (predicate(attempt)) count++;
    return count;
  }

  #attempt(id: string): Attempt {
    const attempt = this.#attempts.get(id);
    if (!attempt) throw new WhatNextError('unknown_attempt', `There is no pending attempt with id ${id}.`);
    return attempt;
  }

  #summary(id: string): ConnectionSummary | undefined {
    const entry = this.#connections.get(id);
    if (!entry) return undefined;
    const { record, attempt } = entry;
    const connection = record.connection;
    return {
      id,
      attemptId: attempt.id,
      method: record.method,
      transport: record.transport,
      direction: record.direction,
      remote: record.remote,
      state: connection.state,
      stage: connection.stage,
      stats: connection.stats(),
      ...(connection.closeReason ? { closeReason: connection.closeReason } : {}),
    };
  }

  #assertRunning(): void {
    if (this.#stopped) throw new WhatNextError('stopping', 'The service is stopping.');
  }
}

/** The longest a method's own invite may wait for its answer (a timer is bounded). */
const MAX_INVITE_LIFETIME_MS = 24 * 60 * 60_000;

/** How many earlier connections to the same peer a new one is weighed against, at most. */
const MAX_TWIN_ROUNDS = 4;

/** Why the one of two live connections between the same peers that gives way closes. */
const TWIN = 'both peers dialled each other at once: the other connection between them stays';

/** Of two live connections between the same peers, whether `ours` gives way: the one with the
 * larger session key does (an unknown key loses), the same choice on both sides. */
function loses(ours: UpgradingConnection, theirs: UpgradingConnection): boolean {
  return ours.sessionKey === undefined || theirs.sessionKey === undefined || ours.sessionKey > theirs.sessionKey;
}

/** What a manager that stops (a service shutting down) tells the remotes it closes and refuses. */
const SHUTTING_DOWN = 'the peer is shutting down';

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof WhatNextError) {
    return {
      code: error.code,
      message: error.message,
      ...(error instanceof TransportError ? { stage: error.stage } : {}),
      ...(error instanceof LinkError ? { reason: error.reason } : {}),
      ...(error instanceof PluginError ? { plugin: error.plugin, hook: error.hook } : {}),
    };
  }
  return { code: 'internal_error', message: describe(error) };
}
