/** What a plugin's `setup` receives: the hooks, registration, and its own place on disk. */
import type { PeerInfo } from '../contracts/peer';
import type { SignalingMethod } from '../contracts/signaling';
import type { Transport } from '../contracts/transport';
import type { HostHooks } from './hooks';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface PluginContext {
  /** The plugin's name: tap hooks with it. */
  readonly name: string;
  readonly hooks: HostHooks;
  /** This peer. */
  readonly local: PeerInfo;
  /** A folder of the plugin's own under the service's data folder (created on first use by the
   * plugin), or undefined for a host without a data folder. */
  readonly dataDir: string | undefined;
  registerTransport(transport: Transport): void;
  registerSignaling(method: SignalingMethod<any>): void;
  log(level: LogLevel, message: string): void;
}
