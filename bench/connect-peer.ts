/**
 * One peer of the PeerJS connect benchmark in its own process, as each WhatNext peer (or each
 * app using PeerJS) runs: forked by bench/connect-processes.ts with `--import tsx` and driven
 * over IPC. "ours" is a PluginHost + ConnectionManager with the peerjs plugin (bench/ours.ts),
 * "raw" a plain PeerJS client (bench/raw.ts).
 *
 * Times are read from `process.hrtime` (CLOCK_MONOTONIC on Linux, one clock for every process
 * of the machine), so the parent can compare one peer's start with the other's open.
 */
import type { DataConnection, Peer } from 'peerjs';
import { peerjs } from '../plugins/peerjs';
import { webrtc } from '../plugins/webrtc';
import { ourPeer, type OurPeer } from './ours';
import { RAW_CONNECT_OPTIONS, rawPeerJsPeer, type BrokerAddress } from './raw';
import { exitSoon, replyToParent, serveParent } from './peer-child';

/** Parent → child. */
export type PeerCommand =
  | { type: 'start'; kind: 'ours' | 'raw'; name: string; broker: BrokerAddress }
  /** Inviter: make the next invite (ours) or say whom to dial (raw); report open and closed. */
  | { type: 'prepare' }
  /** Answerer: connect to `target` (ours: an invite link; raw: a PeerJS id). */
  | { type: 'connect'; target: string }
  /** Answerer: close the connection. */
  | { type: 'close' }
  | { type: 'stop' };

/** Child → parent. `at` and `started` are `clock()` readings. */
export type PeerReply =
  | { type: 'started' }
  | { type: 'prepared'; target: string }
  | { type: 'opened'; at: number; started?: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };

export const clock = (): number => Number(process.hrtime.bigint()) / 1e6;

interface Side {
  prepare(): Promise<string>;
  connect(target: string): Promise<void>;
  close(): Promise<void>;
  stop(): Promise<void>;
}

const reply = (message: PeerReply): void => replyToParent(message);
const opened = (started?: number) => reply({ type: 'opened', at: clock(), ...(started !== undefined && { started }) });

function oursSide(peer: OurPeer): Side {
  let connectionId: string | undefined;
  return {
    async prepare() {
      const invite = peer.manager.invite('peerjs');
      const shown = await peer.attempt(invite.id, (s) => !!s.invite);
      void peer
        .attempt(invite.id, (s) => s.state === 'open')
        .then(async (s) => {
          opened();
          await peer.manager.connection(s.connectionId!).closed;
          reply({ type: 'closed' });
        });
      return shown.invite!.link;
    },
    async connect(link) {
      const started = clock();
      const request = await peer.manager.openLink(link);
      peer.manager.approve(request.id);
      connectionId = (await peer.attempt(request.id, (s) => s.state === 'open')).connectionId;
      opened(started);
    },
    async close() {
      await peer.manager.close(connectionId!, 'bench');
    },
    stop: () => peer.stop(),
  };
}

function rawSide(peer: Peer): Side {
  let connection: DataConnection | undefined;
  const whenOpen = (conn: DataConnection) => new Promise<void>((resolve) => conn.once('open', () => resolve()));
  return {
    async prepare() {
      peer.once('connection', (conn) => {
        void whenOpen(conn).then(() => {
          opened();
          conn.once('close', () => reply({ type: 'closed' }));
        });
      });
      return peer.id;
    },
    async connect(id) {
      const started = clock();
      connection = peer.connect(id, RAW_CONNECT_OPTIONS);
      await whenOpen(connection);
      opened(started);
    },
    async close() {
      connection?.close();
    },
    async stop() {
      peer.destroy();
    },
  };
}

let side: Side | undefined;

async function handle(command: PeerCommand): Promise<void> {
  if (command.type === 'start') {
    side =
      command.kind === 'ours'
        ? oursSide(await ourPeer(command.name, [webrtc(), peerjs(command.broker)]))
        : rawSide(await rawPeerJsPeer(command.broker, `${command.name.toLowerCase()}${process.pid}`));
    return reply({ type: 'started' });
  }
  if (!side) throw new Error('not started');
  switch (command.type) {
    case 'prepare':
      return reply({ type: 'prepared', target: await side.prepare() });
    case 'connect':
      return side.connect(command.target);
    case 'close':
      await side.close();
      return reply({ type: 'closed' });
    case 'stop':
      await side.stop();
      return exitSoon();
  }
}

serveParent(handle);
