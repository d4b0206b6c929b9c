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
  #answer: { resolve(text: string): void; reject(error: Error): void } | undefined;
  #approval: { resolve(decision: { approve: boolean; reason?: string }): void } | undefined;

  constructor(
    readonly method: string,
    readonly role: Role,
    remote: RemoteClaim,
    private readonly changed: (attempt: Attempt) => void,
  ) {
    this.remote = { ...remote };
    this.state = role === 'inviter' ? 'connecting' : 'awaiting-approval';
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

  /** Wait for the user's approval until `deadline`; a missed deadline is a rejection. */
  waitForApproval(timeoutMs: number): Promise<{ approve: boolean; reason?: string }> {
    this.approvalDeadline = Date.now() + timeoutMs;
    this.changed(this);
    return new Promise((resolve) => {
      this.#approval = { resolve };
      this.after(timeoutMs, () => this.decide(false, `no answer within ${Math.round(timeoutMs / 1000)} s`));
    });
  }

  /** The user's decision; false if nothing was waiting for one. */
  decide(approve: boolean, reason?: string): boolean {
    const pending = this.#approval;
    if (!pending) return false;
    this.#approval = undefined;
    this.approvalDeadline = undefined;
    pending.resolve(reason === undefined ? { approve } : { approve, reason });
    return true;
  }

  ask(question: Question): Promise<string> {
    if (this.#answer) throw new WhatNextError('attempt_busy', 'this attempt is already waiting for an answer');
    this.question = { ...question, id: randomBase32(8) };
    this.changed(this);
    return new Promise((resolve, reject) => {
      this.#answer = { resolve, reject };
    });
  }

  answer(questionId: string, text: string): boolean {
    if (!this.#answer || this.question?.id !== questionId) return false;
    const pending = this.#answer;
    this.#answer = undefined;
    this.question = undefined;
    pending.resolve(text);
    this.changed(this);
    return true;
  }

  /** Run `fn` after `ms` unless the attempt settles first. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
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
    this.decide(false, `the attempt was ${this.state}`);
    this.abort.abort(new WhatNextError('attempt_ended', `the attempt was ${this.state}`));
  }
}
