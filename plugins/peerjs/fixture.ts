/**
 * Two peerjs methods (A and B) on one local broker, for tests: `pair()` makes A invite and B
 * answer the link, and resolves with both pipes. Not part of the plugin's API.
 */
import type { PeerInfo, Pipe, PipeSink } from '../../core';
import { startBroker, type Broker } from './broker';
import { createPeerjsMethod, type PeerjsMethod } from './method';
import { PeerjsOptions } from './options';
import { fakeAttempt, type FakeAttempt } from './test-support';

export interface TestPair {
  a: Pipe;
  b: Pipe;
  attemptA: FakeAttempt;
  attemptB: FakeAttempt;
}

export interface TwoPeers {
  broker: Broker;
  methodA: PeerjsMethod;
  methodB: PeerjsMethod;
  logs: string[];
  /** Resolves once a log line (from now on) matches. */
  nextLog(pattern: RegExp): Promise<string>;
  /** A invites, B answers; each pipe reports to the given sink (or a recording one). */
  pair(sinks?: { a?: PipeSink; b?: PipeSink }): Promise<TestPair>;
  close(): Promise<void>;
}

export async function twoPeers(peerA: PeerInfo, peerB: PeerInfo, options: Partial<PeerjsOptions> = {}, brokerPort = 0): Promise<TwoPeers> {
  const broker = await startBroker({ port: brokerPort });
  const logs: string[] = [];
  const logWaiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  const record = (line: string) => {
    logs.push(line);
    for (const waiter of [...logWaiters]) {
      if (waiter.pattern.test(line)) {
        logWaiters.splice(logWaiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  const parsed = PeerjsOptions.parse({ ...options, host: broker.host, port: broker.port, path: broker.path, key: broker.key, iceServers: [] });
  const method = (local: PeerInfo) =>
    createPeerjsMethod({ options: parsed, local, log: (level, message) => record(`${local.name} ${level}: ${message}`) });
  const methodA = method(peerA);
  const methodB = method(peerB);
  return {
    broker,
    methodA,
    methodB,
    logs,
    nextLog: (pattern) => new Promise<string>((resolve) => logWaiters.push({ pattern, resolve })),
    async pair(sinks = {}) {
      const attemptA = fakeAttempt(peerA, {}, sinks.a);
      const inviting = methodA.invite(attemptA.ctx);
      const invite = await Promise.race([attemptA.invite, inviting.then(() => Promise.reject(new Error('invite resolved without an answer')))]);
      const attemptB = fakeAttempt(peerB, { inviteToken: invite.token }, sinks.b);
      const [a, b] = await Promise.all([inviting, methodB.answer(methodB.parseLink(invite.params), attemptB.ctx)]);
      return { a, b, attemptA, attemptB };
    },
    async close() {
      await Promise.all([methodA.shutdown(), methodB.shutdown()]);
      await broker.close();
    },
  };
}
