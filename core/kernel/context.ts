/** What a plugin's `setup` receives: its hooks, registration, its protocol handlers, the services
 * of the plugins it depends on, and its own place on disk. */
import type { PeerInfo } from '../contracts/peer';
import type { SignalingMethod } from '../contracts/signaling';
import type { Transport } from '../contracts/transport';
import type { EventDataOf, EventNameOf, MethodNameOf, ParamsOf, ProtocolSpec, ResultOf } from '../protocol/define';
import type { PluginHooks } from './hooks';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface PluginContext<P extends ProtocolSpec = ProtocolSpec> {
  /** The plugin's name. */
  readonly name: string;
  /** The host's hooks, to tap under this plugin's name: `hooks.init.tapPromise(async () => ...)`. */
  readonly hooks: PluginHooks;
  /** This peer. */
  readonly local: PeerInfo;
  /** A folder of the plugin's own under the service's data folder (created on first use by the
   * plugin), or undefined for a host without a data folder. */
  readonly dataDir: string | undefined;
  registerTransport(transport: Transport): void;
  /** The names of the transports registered now, by any plugin, in registration order (host API
   * 2.3.0): what a method that can drive any of them offers. */
  transports(): string[];
  registerSignaling(method: SignalingMethod<any>): void;
  /** Answer one of the methods of this plugin's `protocol`. Params arrive validated; the result
   * is checked against the method's result schema before it leaves. A `WhatNextError` reaches
   * the caller as it is; anything else as a failure of this plugin. */
  handle<M extends MethodNameOf<P>>(method: M, handler: (params: ParamsOf<P, M> & {}) => ResultOf<P, M> | Promise<ResultOf<P, M>>): void;
  /** Send one of this plugin's events to every client (checked against its schema first). */
  emit<E extends EventNameOf<P>>(event: E, data: EventDataOf<P, E>): void;
  /** What this plugin offers the plugins that depend on it (one value; call once). */
  provide(service: unknown): void;
  /** The service of a plugin named in `dependencies`. */
  use<T>(plugin: string): T;
  log(level: LogLevel, message: string): void;
}
