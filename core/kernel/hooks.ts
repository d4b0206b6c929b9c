/**
 * The host's hooks, declared once in a table (as webpack's Compiler declares its hooks): each
 * entry makes the tapable hook and says how the host runs its taps. The host derives every
 * hook's guard from the table (guard.ts: errors tagged with plugin and hook, async taps timed
 * out, isolated hooks report a failing plugin and go on), so adding a hook is one entry here.
 *
 * Plugins tap through a view bound to their own name (`PluginHooks`): `ctx.hooks.init.tapPromise(
 * async () => ...)`. No plugin can tap under another's name, and none can call a hook.
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
  /** An incoming request that says it reconnects a pairing (`IncomingAttempt.reconnect`). */
  reconnect?: boolean;
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

/** How the host runs a hook's taps. */
interface HookSpec<H> {
  create(): H;
  /** A failing tap is reported (its plugin marked failed) and the others still run; otherwise
   * the error reaches whoever called the hook. */
  isolated: boolean;
  /** A `HookMap`: one hook per key (a signaling method, a plugin). */
  keyed: boolean;
}

const hook = <H>(create: () => H, { isolated }: { isolated: boolean }): HookSpec<H> => ({ create, isolated, keyed: false });
const keyedHook = <H>(create: (key: string) => H, { isolated }: { isolated: boolean }): HookSpec<HookMap<H>> => ({
  create: () => new HookMap((key) => create(String(key))),
  isolated,
  keyed: true,
});

export const HOOKS = Object.freeze({
  /** After every plugin's setup: async initialisation. */
  init: hook(() => new AsyncSeriesHook<[]>([], 'init'), { isolated: true }),
  /** Keyed by signaling method: validate a link's parameters. Signaling methods tap their own
   * key automatically when registered. */
  resolveLink: keyedHook((method) => new SyncBailHook<[ParsedLink], LinkTarget | undefined>(['link'], `resolveLink:${method}`), { isolated: false }),
  /** Bail hook: the first tap returning a decision wins (see `ApprovalRequest`). */
  approve: hook(() => new AsyncSeriesBailHook<[ApprovalRequest], ApprovalDecision | undefined>(['request'], 'approve'), { isolated: false }),
  /** A connection finished its handshake. */
  connectionOpened: hook(() => new AsyncParallelHook<[ConnectionRecord]>(['connection'], 'connectionOpened'), { isolated: true }),
  /** A connection closed or failed after opening. */
  connectionClosed: hook(() => new SyncHook<[ConnectionRecord, CloseReason]>(['connection', 'reason'], 'connectionClosed'), { isolated: true }),
  /** Keyed by plugin name: the user saved new options for that plugin (already validated against
   * its schema). Plugins that apply options live tap their own key; the others get them at the
   * next start. */
  optionsChanged: keyedHook((plugin) => new SyncHook<[unknown]>(['options'], `optionsChanged:${plugin}`), { isolated: true }),
  /** The host is stopping: release resources. */
  shutdown: hook(() => new AsyncSeriesHook<[]>([], 'shutdown'), { isolated: true }),
});

type Table = typeof HOOKS;
export type HookName = keyof Table;

/** The hooks as the host holds them: it calls them. */
export type HostHooks = { readonly [K in HookName]: ReturnType<Table[K]['create']> };

export function createHooks(): HostHooks {
  return Object.freeze(Object.fromEntries(Object.entries(HOOKS).map(([name, spec]) => [name, spec.create()]))) as HostHooks;
}

// ---- the view a plugin gets ----

type TapMethod = 'tap' | 'tapAsync' | 'tapPromise';
/** A hook's tap methods without their first argument, the tap's name: the view supplies it. */
type BoundHook<H> = { readonly [M in TapMethod & keyof H]: H[M] extends (options: never, fn: infer F) => void ? (fn: F) => void : never };
type BoundView<H> = H extends HookMap<infer Inner> ? { for(key: string): BoundHook<Inner> } : BoundHook<H>;

/** The hooks as a plugin sees them: taps only, under the plugin's own name. */
export type PluginHooks = { readonly [K in HookName]: BoundView<HostHooks[K]> };

export function pluginHooks(hooks: HostHooks, plugin: string): PluginHooks {
  const bind = (target: object) => {
    const methods = (['tap', 'tapAsync', 'tapPromise'] as const).filter((method) => typeof (target as Record<string, unknown>)[method] === 'function');
    return Object.freeze(
      Object.fromEntries(
        methods.map((method) => [method, (fn: unknown) => (target as Record<string, (name: string, fn: unknown) => void>)[method]!(plugin, fn)]),
      ),
    );
  };
  const view = (name: HookName) => {
    const target = hooks[name];
    return HOOKS[name].keyed ? Object.freeze({ for: (key: string) => bind((target as HookMap<object>).for(key)) }) : bind(target);
  };
  return Object.freeze(Object.fromEntries((Object.keys(HOOKS) as HookName[]).map((name) => [name, view(name)]))) as PluginHooks;
}
