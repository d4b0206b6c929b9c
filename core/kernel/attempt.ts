/**
 * One connection attempt: its user-visible summary, its abort controller, its timers and the
 * user interaction it is waiting for (approval, an answer to a question). Owned by the
 * ConnectionManager; kept separate so the manager reads as the flow it implements.
 */
import type { Display, Question, RemoteClaim } from '../contracts/signaling';
import type { ConnectionStage } from '../contracts/stages';
import { WhatNextError } from '../errors';
import type { AttemptSummary, ErrorInfo } from '../protocol/shapes';
import { randomBase32 } from '../util/ids';

type Role = AttemptSummary['role'];
type State = AttemptSummary['state'];
/** `timedOut`: nobody decided before the approval deadline. */
type Decision = { approve: boolean; reason?: string; timedOut?: boolean };

const FINAL_STATES: ReadonlySet<State> = new Set(['rejected', 'failed', 'cancelled']);

export class Attempt {
  readonly id = randomBase32(10);
  readonly abort = new AbortController();
  state: State;
  stage: ConnectionStage = 'signaling';
  remote: RemoteClaim;
  invite: AttemptSummary['invite'];
  displays: Display[] = [];
  question: (Question & { id: string }) | undefined;
  approvalDeadline: number | undefined;
  connectionId: string | undefined;
  decidedBy: string | undefined;
  error: ErrorInfo | undefined;
  inviteToken: string | undefined;
  transport: string | undefined;

  #timers = new Set<ReturnType<typeof setTimeout>>();
  #answer: { resolve(text: string): void; reject(error: Error): void; validate?: (text: string) => void } | undefined;
  #approval: { resolve(decision: Decision): void } | undefined;
  /** A decision the user made while policies were still being consulted. */
  #early: Decision | undefined;

  constructor(
    readonly method: string,
    readonly role: Role,
    remote: RemoteClaim,
    private readonly changed: (attempt: Attempt) => void,
    private readonly approvalTimeoutMs: number,
  ) {
    this.remote = { ...remote };
    this.state = role === 'inviter' || role === 'reconnect' ? 'connecting' : 'awaiting-approval';
    // The countdown starts when the request is raised, so a UI can show it from the first event.
    if (this.state === 'awaiting-approval') this.approvalDeadline = Date.now() + approvalTimeoutMs;
  }

  get done(): boolean {
    return FINAL_STATES.has(this.state);
  }

  summary(): AttemptSummary {
    return {
      id: this.id,
      method: this.method,
      role: this.role,
      state: this.state,
      stage: this.stage,
      remote: { ...this.remote },
      ...(this.invite ? { invite: this.invite } : {}),
      displays: [...this.displays],
      ...(this.question ? { question: this.question } : {}),
      ...(this.approvalDeadline !== undefined ? { approvalDeadline: this.approvalDeadline } : {}),
      ...(this.connectionId ? { connectionId: this.connectionId } : {}),
      ...(this.decidedBy ? { decidedBy: this.decidedBy } : {}),
      ...(this.error ? { error: this.error } : {}),
    };
  }

  update(change: Partial<Pick<Attempt, 'state' | 'stage' | 'remote' | 'invite' | 'connectionId' | 'decidedBy' | 'error'>>): void {
    if (this.done) return;
    Object.assign(this, change);
    if (this.done) this.#settle();
    this.changed(this);
  }

  show(display: Display): void {
    this.displays.push(display);
    this.changed(this);
  }

  /** Wait for the user's approval until the deadline; a missed deadline is a rejection. */
  waitForApproval(): Promise<Decision> {
    if (this.#early) return Promise.resolve(this.#early);
    const remaining = Math.max(0, (this.approvalDeadline ?? Date.now()) - Date.now());
    return new Promise((resolve) => {
      this.#approval = { resolve };
      this.after(remaining, () => this.#decided({ approve: false, reason: `no answer within ${Math.round(this.approvalTimeoutMs / 1000)} s`, timedOut: true }));
    });
  }

  /** The user's decision; false if the attempt is not awaiting approval. */
  decide(approve: boolean, reason?: string): boolean {
    return this.#decided(reason === undefined ? { approve } : { approve, reason });
  }

  #decided(decision: Decision): boolean {
    if (this.state !== 'awaiting-approval' || this.#early) return false;
    const pending = this.#approval;
    if (!pending) {
      this.#early = decision;
      return true;
    }
    this.#approval = undefined;
    this.approvalDeadline = undefined;
    pending.resolve(decision);
    return true;
  }

  ask(question: Question, validate?: (text: string) => void): Promise<string> {
    if (this.#answer) throw new WhatNextError('attempt_busy', 'this attempt is already waiting for an answer');
    this.question = { ...question, id: randomBase32(8) };
    this.changed(this);
    return new Promise((resolve, reject) => {
      this.#answer = { resolve, reject, ...(validate ? { validate } : {}) };
    });
  }

  /** Deliver the user's answer. False if no such question is pending; throws (leaving the
   * question open) if the method's validator refuses the answer. */
  answer(questionId: string, text: string): boolean {
    if (!this.#answer || this.question?.id !== questionId) return false;
    const pending = this.#answer;
    pending.validate?.(text);
    this.#answer = undefined;
    this.question = undefined;
    pending.resolve(text);
    this.changed(this);
    return true;
  }

  /** Run `fn` after `ms` unless the attempt settles first (or the timers are cleared). */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Replace any pending deadline with this one. */
  deadline(ms: number, fn: () => void): void {
    this.clearTimers();
    this.after(ms, fn);
  }

  clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #settle(): void {
    this.clearTimers();
    this.question = undefined;
    this.#answer?.reject(new WhatNextError('attempt_ended', `the attempt was ${this.state}`));
    this.#answer = undefined;
    this.#approval?.resolve({ approve: false, reason: `the attempt was ${this.state}` });
    this.#approval = undefined;
    this.abort.abort(new WhatNextError('attempt_ended', `the attempt was ${this.state}`));
  }
}
