/**
 * Liveness: ping the remote every interval and measure the round trip; declare it dead when no
 * frame at all (not just pongs) arrived for the dead-peer timeout, so a peer busy streaming a
 * large message is alive by definition.
 *
 * The watchdog is one timeout re-armed for the remaining time when it fires, instead of being
 * reset on every frame: a 5 MiB message is hundreds of frames.
 */
export interface HeartbeatOptions {
  intervalMs: number;
  deadPeerTimeoutMs: number;
  ping(nonce: number): void;
  dead(): void;
}

export class Heartbeat {
  private lastFrameAt = Date.now();
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private pinger: ReturnType<typeof setInterval> | undefined;
  private nonce = 0;
  private outstanding: { nonce: number; sentAt: number } | undefined;
  /** Probes waiting for a frame from the remote. */
  private readonly probes: ((alive: boolean) => void)[] = [];

  constructor(private readonly options: HeartbeatOptions) {}

  /** Start the dead-peer watchdog (from the moment a pipe exists). */
  watch(): void {
    if (this.watchdog) return;
    this.lastFrameAt = Date.now();
    this.arm(this.options.deadPeerTimeoutMs);
  }

  /** Start pinging (once open: the remote treats a ping before its hello as an error). */
  startPinging(): void {
    if (this.pinger) return;
    this.pinger = setInterval(() => this.sendPing(), this.options.intervalMs);
  }

  /** A frame arrived from the remote. */
  received(): void {
    this.lastFrameAt = Date.now();
    for (const answered of this.probes.splice(0)) answered(true);
  }

  /** Whether the remote is alive now: ping it, and true if any frame arrives within `timeoutMs`
   * (for a decision that cannot wait for the dead-peer timeout). */
  probe(timeoutMs: number): Promise<boolean> {
    if (!this.pinger) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.probes.indexOf(answered);
        if (index >= 0) this.probes.splice(index, 1);
        resolve(false);
      }, timeoutMs);
      const answered = (alive: boolean) => {
        clearTimeout(timer);
        resolve(alive);
      };
      this.probes.push(answered);
      this.sendPing();
    });
  }

  /** A pong arrived: the round trip in ms if it answers the latest ping. */
  pong(nonce: number): number | undefined {
    if (!this.outstanding || this.outstanding.nonce !== nonce) return undefined;
    const rtt = performance.now() - this.outstanding.sentAt;
    this.outstanding = undefined;
    return rtt;
  }

  stop(): void {
    for (const answered of this.probes.splice(0)) answered(false);
    clearTimeout(this.watchdog);
    clearInterval(this.pinger);
    this.watchdog = undefined;
    this.pinger = undefined;
  }

  private sendPing(): void {
    this.nonce = (this.nonce + 1) >>> 0;
    this.outstanding = { nonce: this.nonce, sentAt: performance.now() };
    this.options.ping(this.nonce);
  }

  private arm(delayMs: number): void {
    this.watchdog = setTimeout(() => {
      const silentFor = Date.now() - this.lastFrameAt;
      const remaining = this.options.deadPeerTimeoutMs - silentFor;
      if (remaining > 0) return this.arm(remaining);
      this.watchdog = undefined;
      this.options.dead();
    }, delayMs);
  }
}
