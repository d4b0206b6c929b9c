/**
 * WhatNext core: what plugin authors import. No Electron, no UI, nothing from host/ or plugins/.
 */
export { definePlugin, HOST_API_VERSION, type PluginDefinition, type PluginInstance, type PluginFactory, type NoProtocol, type OptionKey } from './plugin';
export { defineConfig, type WhatNextConfig } from './config';
export { PluginHost, type HostOptions, type HostState, type PluginStatus } from './kernel/host';
export { ConnectionManager, type ConnectionManagerOptions } from './kernel/connections';
export { generateIdentity, type PeerIdentity } from './connection/proof';
export type { PluginContext, Logger, LogLevel } from './kernel/context';
export type { HostHooks, ApprovalRequest, ApprovalDecision, ConnectionRecord } from './kernel/hooks';
export * from './contracts/transport';
export * from './contracts/signaling';
export * from './contracts/peer';
export * from './contracts/stages';
export * from './contracts/pipe-tuning';
export * from './errors';
export { PendingInvites } from './util/pending-invites';
export type * from './connection/types';
export { defineErrorCodes } from './error-codes';
export { parseLink, encodeLink } from './link';
// A plugin's own protocol, and the typed client any side (a UI, a test) talks to the service with.
export { defineProtocol, def, Empty, type Merged, type ProtocolSpec, type MethodDef } from './protocol/define';
export type { MethodNameOf, EventNameOf, ParamsOf, ResultOf, EventDataOf } from './protocol/define';
export type { CoreProtocol } from './protocol';
export type { ProtocolOf } from './config';
export type { WhatNextApi } from './protocol/api';
export type {
  AttemptSummary,
  ConnectionSummary,
  ErrorInfo,
  ExternalPlugin,
  ExternalPlugins,
  KnownPeer,
  MethodInfo,
  ServiceStatus,
  Settings,
} from './protocol/shapes';
export { APPROVAL_TIMEOUT } from './protocol/shapes';
export { createClient, ServiceError, type ServiceClient, type ClientOptions } from './protocol/client';
export type { Port } from './protocol/port';
// Small helpers plugins share: ids, abort races, checks of untrusted JSON.
export { randomBase32, randomToken } from './util/ids';
export { raceAbort } from './util/abort';
export { withoutUndefined } from './util/objects';
export { jsonShapeProblem } from './util/json-shape';
