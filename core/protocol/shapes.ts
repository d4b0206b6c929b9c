/** Shapes that cross process boundaries (service ↔ main ↔ renderer). One schema each; the
 * TypeScript types are inferred from them. */
import { z } from 'zod';
import { DisplayName, PeerId, PeerInfo } from '../contracts/peer';
import { Display, Question, SignalingHealth } from '../contracts/signaling';
import { ConnectionStage, ConnectionState } from '../contracts/stages';
import { HostState, PluginStatus } from '../kernel/host';
import { CloseReason, ConnectionStats } from '../connection/types';
import { jsonShapeProblem } from '../util/json-shape';

export { HostState, PluginStatus };

const JsonTree: z.ZodType<import('../connection/types').Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonTree), z.record(z.string(), JsonTree)]),
);

/**
 * `schema`, after a check of the value's shape within core's bounds (`core/util/json-shape.ts`):
 * depth, holes, and what a walk would cost. Measured first, without recursion, since the
 * recursive parse of a deeper value would throw (out of stack) instead of failing, that of a
 * much-shared one would never end, and that of a sparse array visits every index it claims.
 */
export function shaped<T extends z.ZodType>(schema: T) {
  return z
    .unknown()
    .check((ctx) => {
      const problem = jsonShapeProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    })
    .pipe(schema);
}

/** A JSON value within core's bounds. */
export const Json: z.ZodType<import('../connection/types').Json> = shaped(JsonTree);

/** An app message: bytes or JSON. Refused, it says why it is not JSON (the likelier intent). */
export const Message = z.union([z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes'), Json], {
  error: (issue) => {
    const why = issue.code === 'invalid_union' ? issue.errors[1]?.[0] : undefined;
    return why && `neither bytes nor JSON: ${why.path.length ? `at ${why.path.join('.')}: ` : ''}${why.message}`;
  },
});

export const ErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  /** The stage a connection failed at, or the plugin/hook an error came from. */
  stage: ConnectionStage.optional(),
  plugin: z.string().optional(),
  hook: z.string().optional(),
  /** A finer cause where the code has several: a `LinkError` reason for `link_invalid`, and
   * `APPROVAL_TIMEOUT` for a `rejected` attempt nobody answered in time. */
  reason: z.string().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** `ErrorInfo.reason` of an attempt rejected because nobody approved it before the deadline. */
export const APPROVAL_TIMEOUT = 'approval-timeout';

export const RemoteClaim = z.object({ id: PeerId.optional(), name: z.string().max(64).optional() });

/** `reconnect`: this service dialled a known peer by itself (`ConnectionManager.reach`). */
export const AttemptRole = z.enum(['inviter', 'answerer', 'incoming', 'reconnect']);
export const AttemptState = z.enum(['awaiting-approval', 'connecting', 'open', 'rejected', 'failed', 'cancelled']);

/** One connection attempt as the user sees it. */
export const AttemptSummary = z.object({
  id: z.string(),
  method: z.string(),
  role: AttemptRole,
  state: AttemptState,
  stage: ConnectionStage,
  remote: RemoteClaim,
  /** Set for invites: the link (and code) to hand to the other person. */
  invite: z.object({ link: z.string(), code: z.string().optional(), text: z.string().optional() }).optional(),
  /** Things the method asked to show (e.g. a reply code to send back). */
  displays: z.array(Display),
  /** A pending question (e.g. "paste the reply code"). */
  question: Question.extend({ id: z.string() }).optional(),
  /** Epoch ms by which the user must approve (awaiting-approval only). */
  approvalDeadline: z.number().optional(),
  connectionId: z.string().optional(),
  /** Who decided the approval ('user', 'invite', or a policy plugin's name). */
  decidedBy: z.string().optional(),
  error: ErrorInfo.optional(),
});
export type AttemptSummary = z.infer<typeof AttemptSummary>;

export const ConnectionSummary = z.object({
  id: z.string(),
  attemptId: z.string(),
  method: z.string(),
  transport: z.string(),
  direction: z.enum(['incoming', 'outgoing']),
  remote: PeerInfo,
  state: ConnectionState,
  stage: ConnectionStage,
  stats: ConnectionStats,
  closeReason: CloseReason.optional(),
});
export type ConnectionSummary = z.infer<typeof ConnectionSummary>;

export const KnownPeer = z.object({
  id: PeerId,
  name: DisplayName,
  /** Epoch ms of the first approval and of the last connection. */
  approvedAt: z.number(),
  lastSeenAt: z.number(),
  lastMethod: z.string(),
  /** Reconnect by itself whenever both are online (and accept the peer's reconnections). */
  autoConnect: z.boolean().default(true),
});
export type KnownPeer = z.infer<typeof KnownPeer>;

export const Settings = z.object({
  displayName: DisplayName,
  /** The signaling method new invites use unless overridden; `any`: the first method, in
   * `methodOrder`, whose server is up. */
  defaultMethod: z.string().max(64).optional(),
  /** The order in which reconnections (and invites with `any`) try the signaling methods that can
   * reach a peer by its id; those not named follow in the config's order. */
  methodOrder: z.array(z.string().max(64)).max(32).optional(),
  /** Accept requests from known peers without asking. */
  autoAcceptKnownPeers: z.boolean(),
  /** Plugin options the user saved, by plugin name (they replace plugins.config.ts's). */
  pluginOptions: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** Packages of the data folder's plugins.json the user enabled: loaded at the next start. */
  enabledPlugins: z.array(z.string().max(214)).max(64).optional(),
});
export type Settings = z.infer<typeof Settings>;

/** A plugin package named in the data folder's plugins.json. `enabled` is the setting; `loaded`
 * whether this run loaded it (they differ until the next start). */
export const ExternalPlugin = z.object({
  package: z.string(),
  /** From the installed package's package.json (read, not run); absent when not installed. */
  version: z.string().optional(),
  description: z.string().optional(),
  enabled: z.boolean(),
  loaded: z.boolean(),
  /** The name of the plugin it loaded as (its status is in `plugins.list` under that name). */
  plugin: z.string().optional(),
  /** Why it is not installed, or could not be loaded. */
  error: ErrorInfo.optional(),
});
export type ExternalPlugin = z.infer<typeof ExternalPlugin>;

export const ExternalPlugins = z.object({
  /** The plugins.json read, and the folder whose node_modules its packages are installed in. */
  file: z.string(),
  folder: z.string(),
  /** Why plugins.json could not be used (nothing of it is then). */
  problem: ErrorInfo.optional(),
  plugins: z.array(ExternalPlugin),
});
export type ExternalPlugins = z.infer<typeof ExternalPlugins>;

export const ServiceStatus = z.object({
  state: HostState,
  local: PeerInfo,
  dataDir: z.string(),
  pid: z.number(),
  /** Whether the service runs with least privilege (Node's permission model), and what of the
   * checked abilities it has: ideally only writing its data folder. */
  permissions: z.object({ enforced: z.boolean(), allowed: z.array(z.string()) }),
});
export type ServiceStatus = z.infer<typeof ServiceStatus>;

export const MethodInfo = z.object({
  name: z.string(),
  description: z.string(),
  plugin: z.string(),
  transports: z.array(z.string()),
  /** For a method that can reach a known peer by its id: its place (1, 2, ...) in the order
   * reconnections try such methods (`Settings.methodOrder`, then the config's). */
  failoverRank: z.number().int().min(1).optional(),
  /** For a method that depends on a server: how it is doing (absent for the others). */
  health: SignalingHealth.optional(),
});
export type MethodInfo = z.infer<typeof MethodInfo>;
