/**
 * Two mqtt methods (A and B) on one real Mosquitto the helper starts, for tests: `pair()` makes
 * A invite and B answer the link, and resolves with both pipes. `close()` shuts both methods
 * down and stops the broker (call it in `afterAll`). Not part of the plugin's API.
 */
import type { IncomingAttempt, PeerInfo, Pipe, PipeSink, SignalingHealth, SignalingServices } from '@whatnext/core';
import { fakeAttempt, type FakeAttempt } from '../../peerjs/testing/peers';
import { createWebRtc } from '../../webrtc';
import { createMqttMethod, type MqttMethod } from '../method';
import { MqttOptions } from '../options';
import { startMosquitto, type Mosquitto } from './mosquitto';

export interface TestPair {
  a: Pipe;
  b: Pipe;
  attemptA: FakeAttempt;
  attemptB: FakeAttempt;
}

/** What a method's `listen` reported: incoming attempts and health, each awaitable. */
export interface Listening {
  services: SignalingServices;
  health: Omit<SignalingHealth, 'since'>[];
  /** Incoming attempts reported so far. */
  readonly reported: number;
  nextIncoming(): Promise<IncomingAttempt>;
  /** Resolves once a health report (from now on) is in `state`. */
  nextHealth(state: SignalingHealth['state']): Promise<Omit<SignalingHealth, 'since'>>;
}

export function listening(local: PeerInfo): Listening {
  const health: Omit<SignalingHealth, 'since'>[] = [];
  const incoming: IncomingAttempt[] = [];
  const incomingWaiters: ((attempt: IncomingAttempt) => void)[] = [];
  let reported = 0;
  const healthWaiters: { state: string; resolve(report: Omit<SignalingHealth, 'since'>): void }[] = [];
  return {
    health,
    get reported() {
      return reported;
    },
    services: {
      local,
      incoming(attempt) {
        reported++;
        const waiter = incomingWaiters.shift();
        if (waiter) waiter(attempt);
        else incoming.push(attempt);
      },
      health(report) {
        health.push(report);
        for (const waiter of [...healthWaiters]) {
          if (waiter.state !== report.state) continue;
          healthWaiters.splice(healthWaiters.indexOf(waiter), 1);
          waiter.resolve(report);
        }
      },
    },
    nextIncoming: () => {
      const queued = incoming.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => incomingWaiters.push(resolve));
    },
    nextHealth: (state) => new Promise((resolve) => healthWaiters.push({ state, resolve })),
  };
}

export interface TwoPeers {
  broker: Mosquitto;
  methodA: MqttMethod;
  methodB: MqttMethod;
  listenA: Listening;
  listenB: Listening;
  logs: string[];
  /** Resolves once a log line (from now on) matches. */
  nextLog(pattern: RegExp): Promise<string>;
  /** Resolves with the lines once `count` log lines (from now on) match: lines may come in one
   * burst (MQTT.js emits the messages of one socket read together). */
  nextLogs(pattern: RegExp, count: number): Promise<string[]>;
  /** A invites, B answers; each pipe reports to the given sink (or a recording one). */
  pair(sinks?: { a?: PipeSink; b?: PipeSink }): Promise<TestPair>;
  close(): Promise<void>;
}

export async function twoPeers(peerA: PeerInfo, peerB: PeerInfo, options: Partial<MqttOptions> = {}): Promise<TwoPeers> {
  const broker = await startMosquitto();
  const logs: string[] = [];
  const logWaiters: { pattern: RegExp; count: number; seen: string[]; resolve(lines: string[]): void }[] = [];
  const record = (line: string) => {
    logs.push(line);
    for (const waiter of [...logWaiters]) {
      if (!waiter.pattern.test(line)) continue;
      waiter.seen.push(line);
      if (waiter.seen.length < waiter.count) continue;
      logWaiters.splice(logWaiters.indexOf(waiter), 1);
      waiter.resolve(waiter.seen);
    }
  };
  const nextLogs = (pattern: RegExp, count: number) => new Promise<string[]>((resolve) => logWaiters.push({ pattern, count, seen: [], resolve }));
  const parsed = MqttOptions.parse({ ...options, url: broker.url });
  const method = (local: PeerInfo) =>
    createMqttMethod({ options: parsed, webrtc: createWebRtc(), local, log: (level, message) => record(`${local.name} ${level}: ${message}`) });
  const methodA = method(peerA);
  const methodB = method(peerB);
  const listenA = listening(peerA);
  const listenB = listening(peerB);
  const connected = Promise.all([listenA.nextHealth('connected'), listenB.nextHealth('connected')]);
  methodA.listen!(listenA.services);
  methodB.listen!(listenB.services);
  try {
    await connected;
  } catch (error) {
    await broker.stop();
    throw error;
  }
  return {
    broker,
    methodA,
    methodB,
    listenA,
    listenB,
    logs,
    nextLog: async (pattern) => (await nextLogs(pattern, 1))[0]!,
    nextLogs,
    async pair(sinks = {}) {
      const attemptA = fakeAttempt(peerA, {}, sinks.a);
      const inviting = methodA.invite(attemptA.ctx);
      const invite = await Promise.race([attemptA.invite, inviting.then(() => Promise.reject(new Error('invite resolved without an answer')))]);
      const attemptB = fakeAttempt(peerB, { inviteToken: invite.token }, sinks.b);
      const [a, b] = await Promise.all([inviting, methodB.answer(methodB.parseLink(invite.params), attemptB.ctx)]);
      return { a, b, attemptA, attemptB };
    },
    async close() {
      try {
        await Promise.all([methodA.shutdown(), methodB.shutdown()]);
      } finally {
        await broker.stop();
      }
    },
  };
}
