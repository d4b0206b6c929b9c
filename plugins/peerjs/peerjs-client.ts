/**
 * A private copy of the PeerJS client, with its browser globals supplied lexically.
 *
 * PeerJS 1.5.5 is written for browsers and reads these globals as free identifiers (checked in
 * node_modules/peerjs/dist/bundler.cjs):
 *
 * - `RTCPeerConnection`: at import (`util.supports` creates a throwaway one to detect data
 *   channel support; without it every `new Peer()` fails with "browser-incompatible") and for
 *   every connection (`Negotiator._startPeerConnection`).
 * - `RTCSessionDescription`: for every remote offer/answer (`Negotiator.handleSDP`).
 * - `WebSocket`: the broker connection (`Socket.start`). Node 20 has no global WebSocket.
 * - `fetch`: only to ask the broker for a random id when none is given (we always give one),
 *   `location`/`window`: only when `secure` is unset or `host` is `'/'` (we always set both),
 *   `navigator`: guarded by `typeof`, `FileReader`/`Blob`: only for Blob payloads (never sent).
 *   `RTCIceCandidate` is never read: PeerJS passes candidates to `addIceCandidate` as plain
 *   objects.
 *
 * Assigning these on `globalThis`, even for a moment, would leak into every other plugin (and
 * any library that feature-detects WebRTC), and PeerJS reads them late (per connection), so a
 * temporary assignment does not work either. Instead this module evaluates PeerJS's CommonJS
 * build once per plugin instance with `vm.compileFunction`, the same wrapper Node's CommonJS
 * loader uses, adding parameters named after the globals. Inside the copy those names resolve
 * to our bindings; outside nothing changes. The copy also has its own logger and `util`
 * singleton, so its log level and support detection do not touch an app's own `peerjs` import.
 * Its dependencies (eventemitter3, peerjs-js-binarypack, webrtc-adapter, @msgpack/msgpack)
 * come from an ordinary `require` rooted at PeerJS's file; none of them needs a global in Node (webrtc-adapter sees no
 * `window` and shims nothing).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';
import type * as PeerJs from 'peerjs';
import { describe } from '@whatnext/core';
import type { WebRtcEngine } from '../webrtc/service';
import { trackPeerConnections } from './engine';
import type { SessionRuntime } from './broker-session';
import { createSocketClass, type BrokerSocket, type SocketOwner } from './socket';

export type PeerJsModule = typeof PeerJs;

/** What the private copy sees instead of the browser's globals. */
export interface PeerJsGlobals {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
  /** A class with the browser WebSocket surface PeerJS uses (onopen, onmessage, onclose,
   * readyState, send, close). */
  WebSocket: new (url: string) => unknown;
}

const entry = createRequire(import.meta.url).resolve('peerjs'); // "main": dist/bundler.cjs
/** Resolves PeerJS's own dependencies exactly as Node would for the installed file. */
const peerJsRequire = createRequire(entry);
let source: string | undefined;

/** Names shadowed inside the copy. The last ones are bound to `undefined` or to a refusing
 * `fetch`, so PeerJS can never fall back on a real browser global or reach the network
 * outside the broker socket. */
const SHADOWED = [
  'RTCPeerConnection',
  'RTCSessionDescription',
  'RTCIceCandidate',
  'WebSocket',
  'fetch',
  'window',
  'location',
  'navigator',
  'document',
] as const;

export function loadPeerJs(globals: PeerJsGlobals): PeerJsModule {
  source ??= readFileSync(entry, 'utf8');
  const wrapper = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname', ...SHADOWED], {
    filename: entry,
  });
  const module = { exports: {} as Record<string, unknown> };
  const refuseFetch = () => Promise.reject(new Error('the WhatNext peerjs plugin never lets PeerJS use fetch'));
  wrapper(
    module.exports,
    peerJsRequire,
    module,
    entry,
    dirname(entry),
    globals.RTCPeerConnection,
    globals.RTCSessionDescription,
    globals.RTCIceCandidate,
    globals.WebSocket,
    refuseFetch,
    undefined,
    undefined,
    undefined,
    undefined,
  );
  const peerjs = module.exports as unknown as PeerJsModule;
  dropMessagesAfterClose(peerjs);
  return peerjs;
}

/**
 * PeerJS 1.5.5 hands broker messages (ANSWER, CANDIDATE) to a data connection without checking
 * it is still open. On one closed already, `Negotiator.handleCandidate` reads the peer connection
 * and the provider that close() cleared, and its TypeError escapes from a promise nobody awaits:
 * fatal to a Node process. (Messages PeerJS stored for a connection are handed over right after
 * it emits `connection`, where a listener may close it.) A closed connection has nothing to do
 * with them, so this copy drops them. A connection that closes while a candidate is being added
 * is the engine wrapper's part (engine.ts).
 */
function dropMessagesAfterClose(peerjs: PeerJsModule): void {
  interface Handles {
    peerConnection: unknown;
    provider: unknown;
    handleMessage(message: unknown): unknown;
  }
  // DataConnection itself is not exported; every data connection class extends it.
  const dataConnection = Object.getPrototypeOf(peerjs.BufferedConnection.prototype) as Handles;
  const handleMessage = dataConnection.handleMessage;
  dataConnection.handleMessage = function (this: Handles, message: unknown) {
    if (this.peerConnection == null || this.provider == null) return Promise.resolve();
    return handleMessage.call(this, message);
  };
}

/** Everything one plugin instance runs PeerJS with, and what it must close at shutdown. */
export interface PeerJsRuntime extends SessionRuntime {
  /** Broker sockets not yet closed. */
  readonly sockets: Set<BrokerSocket>;
  /** Close the peer connection made ahead, if any: no session is left to use it. */
  discardPrepared(): void;
  /** Close whatever is still open (after the sessions were destroyed); resolves once the
   * broker sockets have actually closed, so nothing of ours outlives shutdown. */
  dispose(): Promise<void>;
}

export function createRuntime(engine: WebRtcEngine, log: (level: 'debug', message: string) => void): PeerJsRuntime {
  const owners = new Map<string, SocketOwner>();
  const sockets = new Set<BrokerSocket>();
  const tracked = trackPeerConnections(engine, (error) => log('debug', `the engine refused a remote ICE candidate: ${describe(error)}`));
  const peerjs = loadPeerJs({
    RTCPeerConnection: tracked.RTCPeerConnection,
    RTCSessionDescription: engine.RTCSessionDescription,
    RTCIceCandidate: engine.RTCIceCandidate,
    WebSocket: createSocketClass(owners, sockets),
  });
  return {
    Peer: peerjs.Peer,
    owners,
    onLocalDescription: (pc, listener) => tracked.onLocalDescription(pc, listener),
    prepareConnection: (config) => tracked.prepare(config),
    discardPrepared: () => tracked.discardSpare(),
    sockets,
    async dispose() {
      const open = [...sockets];
      for (const socket of open) socket.terminate();
      tracked.closeAll();
      owners.clear();
      await Promise.all(open.map((socket) => socket.closed));
    },
  };
}
