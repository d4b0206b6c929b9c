/**
 * WhatNext core: what plugin authors import. No Electron, no UI, nothing from host/ or plugins/.
 */
export { definePlugin, HOST_API_VERSION, type PluginDefinition, type PluginInstance, type PluginFactory } from './plugin';
export { defineConfig, type WhatNextConfig } from './config';
export { PluginHost, type HostOptions, type HostState, type PluginStatus } from './kernel/host';
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
