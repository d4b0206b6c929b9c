/**
 * The protocol between main, service and renderer: the single source of every message's type.
 *
 *   request   { type: 'request',  id, method, params }        client → service
 *   response  { type: 'response', id, ok: true, result }       service → client
 *             { type: 'response', id, ok: false, error }
 *   event     { type: 'event', event, data }                   service → every client
 *
 * `methods` and `events` are maps from name to zod schemas; the unions, the types and the
 * preload's typed API are all derived from them. These are core's own; plugins add theirs
 * (`defineProtocol`, a plugin's `protocol`), which the service serves and validates as it does
 * these, and a client is typed with (`ProtocolOf` a config).
 */
import { z } from 'zod';
import { LINK_MAX_LENGTH } from '../link';
import {
  AttemptSummary,
  ConnectionSummary,
  ErrorInfo,
  ExternalPlugins,
  HostState,
  KnownPeer,
  Message,
  MethodInfo,
  PluginStatus,
  ServiceStatus,
  Settings,
  shaped,
} from './shapes';
import { Empty, ProtocolName, def, type EventDataOf, type EventNameOf, type MethodNameOf, type ParamsOf, type ResultOf } from './define';
import { Json } from './shapes';
import { SignalingHealth } from '../contracts/signaling';

export * from './shapes';
export * from './define';

const Id = z.string().min(1).max(64);
const ChannelName = z.string().min(1).max(64);

export const methods = {
  'service.status': def(Empty, ServiceStatus),
  'service.shutdown': def(Empty, Empty),
  'plugins.list': def(Empty, z.array(PluginStatus)),
  'signaling.list': def(Empty, z.array(MethodInfo)),
  /** Open a whtnxt:// link: validates it and raises an attempt awaiting approval. */
  'links.open': def(z.object({ link: z.string().max(LINK_MAX_LENGTH * 4) }).strict(), AttemptSummary),
  /** Create an invite with a method (default: the settings' default method). */
  'attempts.invite': def(z.object({ method: z.string().max(64).optional() }).strict(), AttemptSummary),
  'attempts.list': def(Empty, z.array(AttemptSummary)),
  'attempts.approve': def(z.object({ attemptId: Id }).strict(), AttemptSummary),
  'attempts.reject': def(z.object({ attemptId: Id, reason: z.string().max(200).optional() }).strict(), AttemptSummary),
  /** Answer the attempt's pending question (e.g. paste the reply code). */
  'attempts.answer': def(z.object({ attemptId: Id, questionId: Id, answer: z.string().max(LINK_MAX_LENGTH * 4) }).strict(), AttemptSummary),
  'attempts.cancel': def(z.object({ attemptId: Id }).strict(), AttemptSummary),
  'connections.list': def(Empty, z.array(ConnectionSummary)),
  'connections.close': def(z.object({ connectionId: Id, reason: z.string().max(200).optional() }).strict(), Empty),
  /** Send an app message on a named channel. */
  'connections.send': def(z.object({ connectionId: Id, channel: ChannelName, message: Message }).strict(), Empty),
  /** Start relaying a channel's incoming messages as `connection.message` events. */
  'connections.listen': def(z.object({ connectionId: Id, channel: ChannelName }).strict(), Empty),
  'peers.known': def(Empty, z.array(KnownPeer)),
  'peers.forget': def(z.object({ peerId: Id }).strict(), Empty),
  /** Dial a known peer now (through a method that reaches peers by id), and resume its
   * reconnecting by itself. */
  'peers.reconnect': def(z.object({ peerId: Id }).strict(), AttemptSummary),
  /** Whether a known peer reconnects by itself. */
  'peers.update': def(z.object({ peerId: Id, autoConnect: z.boolean() }).strict(), KnownPeer),
  'settings.get': def(Empty, Settings),
  'settings.update': def(Settings.omit({ pluginOptions: true, enabledPlugins: true }).partial().strict(), Settings),
  /** The plugin packages the data folder's plugins.json names: installed, enabled, loaded. Enable
   * one with `plugins.enable`; it loads at the next start. */
  'plugins.external': def(Empty, ExternalPlugins),
  /** Enable or disable one of them (from the next start); changes only that package. */
  'plugins.enable': def(z.object({ package: z.string().max(214), enabled: z.boolean() }).strict(), ExternalPlugins),
  /** Validate and save a plugin's options; applied to new connections without a restart. */
  'plugins.configure': def(z.object({ plugin: z.string().max(64), options: z.record(z.string(), z.unknown()) }).strict(), PluginStatus),
} as const;

export const events = {
  'host.state': HostState,
  'plugin.error': z.object({ plugin: z.string(), error: ErrorInfo }),
  'attempt.updated': AttemptSummary,
  'connection.updated': ConnectionSummary,
  'connection.message': z.object({ connectionId: Id, channel: ChannelName, message: Message }),
  'link.rejected': z.object({ link: z.string(), error: ErrorInfo }),
  'settings.changed': Settings,
  'plugins.changed': z.array(PluginStatus),
  /** A signaling method's health changed (see `SignalingHealth`). */
  'signaling.health': z.object({ method: z.string(), health: SignalingHealth }),
} as const;

/** Core's protocol; a plugin's joins it (`Merged`, `ProtocolOf` in ../config.ts). */
export type CoreProtocol = { readonly methods: typeof methods; readonly events: typeof events };
export type Methods = CoreProtocol['methods'];
export type MethodName = MethodNameOf<CoreProtocol>;
export type Params<M extends MethodName> = ParamsOf<CoreProtocol, M>;
export type Result<M extends MethodName> = ResultOf<CoreProtocol, M>;
export type Events = CoreProtocol['events'];
export type EventName = EventNameOf<CoreProtocol>;
export type EventData<E extends EventName> = EventDataOf<CoreProtocol, E>;

export const RequestId = z.union([z.string().min(1).max(64), z.number().int().nonnegative()]);
export type RequestId = z.infer<typeof RequestId>;

const methodNames = Object.keys(methods) as [MethodName, ...MethodName[]];
const eventNames = Object.keys(events) as [EventName, ...EventName[]];

/** Just enough of a request to answer it, even when the rest is invalid: core's method, or a
 * name a plugin's method may have (the service knows which plugin methods there are). A message
 * that crossed a structured clone is checked for shape first: nothing after it walks an
 * unbounded value. */
export const RequestEnvelope = shaped(z.object({ type: z.literal('request'), id: RequestId, method: ProtocolName, params: z.unknown() }));

export const Request = z.discriminatedUnion(
  'method',
  methodNames.map((name) => z.object({ type: z.literal('request'), id: RequestId, method: z.literal(name), params: methods[name].params })) as never,
) as z.ZodType<{ [M in MethodName]: { type: 'request'; id: RequestId; method: M; params: z.output<Methods[M]['params']> } }[MethodName]>;
export type Request = z.infer<typeof Request>;

export const Response = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('response'), id: RequestId, ok: z.literal(true), result: z.unknown() }),
  z.object({ type: z.literal('response'), id: RequestId.nullable(), ok: z.literal(false), error: ErrorInfo }),
]);
export type Response = z.infer<typeof Response>;

export const Event = z.discriminatedUnion(
  'event',
  eventNames.map((name) => z.object({ type: z.literal('event'), event: z.literal(name), data: events[name] })) as never,
) as z.ZodType<{ [E in EventName]: { type: 'event'; event: E; data: EventData<E> } }[EventName]>;
export type Event = z.infer<typeof Event>;

/** An event of a plugin's: JSON as far as core can tell (the service checked it against the
 * plugin's schema; a client that knows the plugin's protocol checks it again). */
export const PluginEvent = z.object({
  type: z.literal('event'),
  event: ProtocolName.refine((name) => !isEventName(name), 'core events carry their own data'),
  data: Json,
});
export type PluginEvent = z.infer<typeof PluginEvent>;

/** Anything the service may send (checked for shape first, as requests are). */
export const ServiceMessage = shaped(z.union([Response, Event, PluginEvent]));
export type ServiceMessage = z.infer<typeof ServiceMessage>;

export const isMethodName = (name: string): name is MethodName => Object.hasOwn(methods, name);
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);
