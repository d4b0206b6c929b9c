/**
 * The host's hooks, declared once (as webpack's Compiler does). Plugins tap them with their own
 * name: `hooks.init.tapPromise('my-plugin', async () => ...)`. The host wraps every tap (see
 * guard.ts) so errors come out tagged with plugin and hook, and async taps time out.
 */
import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesHook, HookMap, SyncBailHook, SyncHook } from 'tapable';
import type { LinkTarget, RemoteClaim } from '../contracts/signaling';
import type { PeerInfo } from '../contracts/peer';
import type { CloseReason, Connection } from '../connection/types';
import type { ParsedLink } from '../link';

/** Asked before any connection opens. Policies (known peers, rate limits) tap `approve`; when no
 * tap decides, the user is asked. An outgoing attempt (a link the user opened) goes where the link
 * claims, and a link can claim anything: a policy may refuse one, but only the user approves one
 * (an approval by a policy is ignored and the user is asked). */
export interface ApprovalRequest {
  attemptId: string;
  method: string;
  /** 'outgoing': the local user opened a link; 'incoming': a remote reached us. */
  direction: 'incoming' | 'outgoing';
  remote: RemoteClaim;
  /** True when an incoming attempt presented the token of an invite we made (single use). */
  invited: boolean;
}

export type ApprovalDecision = { approve: true; by: string } | { approve: false; by: string; reason: string };

/** An open connection as hooks see it. */
export interface ConnectionRecord {
  id: string;
  method: string;
  transport: string;
  direction: 'incoming' | 'outgoing';
  remote: PeerInfo;
  connection: Connection;
}

export function createHooks() {
  return Object.freeze({
    /** After every plugin's setup: async initialisation. Isolated: a failing plugin is marked
     * failed, the others go on. */
    init: new AsyncSeriesHook<[]>([], 'init'),
    /** Keyed by signalling method: validate a link's parameters. Signalling methods tap their
     * own key automatically when registered. */
    resolveLink: new HookMap<SyncBailHook<[ParsedLink], LinkTarget | undefined>>(
      (method) => new SyncBailHook<[ParsedLink], LinkTarget | undefined>(['link'], `resolveLink:${String(method)}`),
    ),
    /** Bail hook: the first tap returning a decision wins. */
    approve: new AsyncSeriesBailHook<[ApprovalRequest], ApprovalDecision | undefined>(['request'], 'approve'),
    /** A connection finished its handshake. Isolated. */
    connectionOpened: new AsyncParallelHook<[ConnectionRecord]>(['connection'], 'connectionOpened'),
    /** A connection closed or failed after opening. Isolated. */
    connectionClosed: new SyncHook<[ConnectionRecord, CloseReason]>(['connection', 'reason'], 'connectionClosed'),
    /** Keyed by plugin name: the user saved new options for that plugin (already validated
     * against its schema). Plugins that apply options live tap their own key; the others get
     * them at the next start. */
    optionsChanged: new HookMap<SyncHook<[unknown]>>((plugin) => new SyncHook<[unknown]>(['options'], `optionsChanged:${String(plugin)}`)),
    /** The host is stopping: release resources. Isolated. */
    shutdown: new AsyncSeriesHook<[]>([], 'shutdown'),
  });
}

export type HostHooks = ReturnType<typeof createHooks>;

/** Hooks where one plugin's failure is reported and the others still run. */
export const ISOLATED_HOOKS: ReadonlySet<string> = new Set(['init', 'connectionOpened', 'connectionClosed', 'shutdown']);
