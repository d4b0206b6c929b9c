/**
 * The listening side of the TCP example in a process of its own (bench/tcp.ts drives it): one
 * connection at a time, encrypted by core or in clear as asked, with the service's crypto.
 */
import type { Connection } from '../core/connection/types';
import { createTestConnection } from '../core/testing';
import { newIdentity, nodeProofSuite, signerOf } from '../host/service/identity';
import { nodeSessionCrypto } from '../host/service/session-crypto';
import { createTcpTransport } from '../plugins/example-tcp/index';
import { exitSoon, replyToParent, serveParent } from './peer-child';

export type TcpPeerCommand =
  { type: 'dial'; encrypt: boolean } | { type: 'signal'; signal: unknown } | { type: 'expect'; bytes: number } | { type: 'close' } | { type: 'stop' };
export type TcpPeerReply =
  | { type: 'signal'; signal: unknown }
  | { type: 'opened' }
  /** `cpuMicros`: this process's CPU time (user and system) from `expect` to the last byte. */
  | { type: 'received'; cpuMicros: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };

const transport = createTcpTransport();
/** One identity for the run, as a service keeps its own. */
const stored = newIdentity('Listener');
const identity = signerOf(stored);
let connection: Connection | undefined;
let expected = Infinity;
let received = 0;
let cpuAtExpect: NodeJS.CpuUsage | undefined;

serveParent<TcpPeerCommand>(async (command) => {
  switch (command.type) {
    case 'dial': {
      const opened = createTestConnection({
        local: { id: stored.id, name: 'Listener' },
        identity,
        proofSuite: nodeProofSuite,
        sessionCrypto: nodeSessionCrypto,
        encryptUnboundPipes: command.encrypt,
      });
      connection = opened;
      opened.channel('bulk').onMessage((message) => {
        received += (message as Uint8Array).byteLength;
        if (received >= expected) {
          expected = Infinity;
          const cpu = process.cpuUsage(cpuAtExpect);
          replyToParent({ type: 'received', cpuMicros: cpu.user + cpu.system });
        }
      });
      const dial = transport.dial({
        initiator: true,
        sink: opened.sink,
        sendSignal: (signal) => replyToParent({ type: 'signal', signal }),
        stage: () => {},
        abort: new AbortController().signal,
      });
      opened.attach(await dial.pipe);
      await opened.opened;
      replyToParent({ type: 'opened' });
      return;
    }
    case 'expect':
      received = 0;
      expected = command.bytes;
      cpuAtExpect = process.cpuUsage();
      return;
    case 'close':
      await connection?.closed;
      replyToParent({ type: 'closed' });
      return;
    case 'stop':
      await connection?.close('stop');
      exitSoon();
      return;
    case 'signal':
      return; // the listener needs none back
  }
});
