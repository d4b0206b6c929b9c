/**
 * "Ours": two in-process peers, each a real PluginHost + ConnectionManager with the app's
 * plugins, connected through the same flow the service runs (invite → link → approve → ...).
 */
import type { PluginInstance } from '../core/plugin';
import { PluginHost } from '../core/kernel/host';
import { ConnectionManager, type ConnectionManagerOptions } from '../core/kernel/connections';
import type { Connection } from '../core/connection/types';
import { newIdentity, nodeProofSuite, signerOf } from '../host/service/identity';
import { watchAttempts, type AttemptWait } from '../core/testing';

export interface OurPeer {
  host: PluginHost;
  manager: ConnectionManager;
  /** Attempt `id` once `predicate` holds (rejects if it ends without). */
  attempt: AttemptWait;
  stop(): Promise<void>;
}

/** `connection`: options for every connection this peer makes, on top of the service's. */
export async function ourPeer(name: string, plugins: PluginInstance[], connection: ConnectionManagerOptions['connection'] = {}): Promise<OurPeer> {
  // As in the service: the handshake proves each side's id with its key.
  const stored = newIdentity(name);
  const host = new PluginHost({ plugins, local: { id: stored.id, name } });
  await host.start();
  const manager = new ConnectionManager(host, { connection: { ...connection, identity: signerOf(stored), proofSuite: nodeProofSuite } });
  await manager.start();
  return {
    host,
    manager,
    attempt: watchAttempts(manager),
    async stop() {
      await manager.stop();
      await host.stop();
    },
  };
}

export interface OurPair {
  a: Connection;
  b: Connection;
  /** The manual flow's codes, as a person would pass them on. */
  codes?: { invite: string; reply: string };
}

/** The manual flow, all machine steps: the codes are handed over in code, not by a person. */
export async function connectManual(a: OurPeer, b: OurPeer): Promise<OurPair> {
  const invite = a.manager.invite('manual');
  const shown = await a.attempt(invite.id, (s) => !!s.invite && !!s.question);
  const request = await b.manager.openLink(shown.invite!.link);
  b.manager.approve(request.id);
  const reply = await b.attempt(request.id, (s) => s.displays.length > 0);
  const codes = { invite: shown.invite!.code!, reply: reply.displays[0]!.code! };
  a.manager.answer(invite.id, shown.question!.id, codes.reply);
  return { ...(await opened(a, invite.id, b, request.id)), codes };
}

/** The broker flow (`method`: a broker method, peerjs by default). The invite is made first (a
 * person sends its link long before anyone opens it); `connect` then runs from opening the link
 * to both sides open. */
export async function preparePeerjs(a: OurPeer, b: OurPeer, method = 'peerjs'): Promise<{ connect(): Promise<OurPair> }> {
  const invite = a.manager.invite(method);
  const shown = await a.attempt(invite.id, (s) => !!s.invite);
  return {
    async connect() {
      const request = await b.manager.openLink(shown.invite!.link);
      b.manager.approve(request.id);
      return opened(a, invite.id, b, request.id);
    },
  };
}

export async function connectPeerjs(a: OurPeer, b: OurPeer): Promise<OurPair> {
  return (await preparePeerjs(a, b)).connect();
}

async function opened(a: OurPeer, aId: string, b: OurPeer, bId: string): Promise<OurPair> {
  const [sa, sb] = await Promise.all([a.attempt(aId, (s) => s.state === 'open'), b.attempt(bId, (s) => s.state === 'open')]);
  return { a: a.manager.connection(sa.connectionId!), b: b.manager.connection(sb.connectionId!) };
}

export async function closePair(pair: OurPair): Promise<void> {
  await Promise.all([pair.a.close('bench'), pair.b.closed]);
}
