/**
 * The service: owns the plugin host, connections, settings and known peers, and serves the
 * protocol to any number of clients (main, renderer ports, the CLI, tests). Runtime-neutral:
 * main.ts adapts it to Electron's utility process or Node's child_process.
 */
import type { WhatNextConfig } from '../../core/config';
import { ConnectionManager } from '../../core/kernel/connections';
import { PluginHost } from '../../core/kernel/host';
import type { Logger } from '../../core/kernel/context';
import { WhatNextError } from '../../core/errors';
import { events, methods, type EventData, type EventName } from '../../core/protocol';
import type { Port } from '../../core/protocol/port';
import { rateLimit } from '../../core/policies/rate-limit';
import { knownPeersPolicy } from './known-peers-policy';
import { Reconnector } from './reconnector';
import { ANY_METHOD, Failover } from './failover';
import { InviteJournal } from './invite-journal';
import { serveRequests, type Handlers } from './rpc';
import { ServiceState } from './state';
import { nodeProofSuite } from './identity';
import { nodeSessionCrypto } from './session-crypto';
import { permissionsInEffect } from './permissions';
import { DataFolderPlugins } from './external-plugins';

export interface ServiceOptions {
  dataDir: string;
  config: WhatNextConfig;
  /** Display name to use (and store) instead of the stored one. */
  name?: string;
  /** Link schemes accepted; the first is used for invites. Default ['whtnxt']. */
  linkSchemes?: readonly string[];
  approvalTimeoutMs?: number;
  connectTimeoutMs?: number;
  logger?: Logger;
  /** Called when a client asks the service to shut down. */
  onShutdownRequested?: () => void;
  /** How often known peers that are missing are dialled again (ms). */
  reconnectRetryMs?: number;
  /** How long a method that looks up may stay silent before failover tries the next (ms). */
  failoverSilenceMs?: number;
}

export class Service {
  readonly state: ServiceState;
  readonly pluginHost: PluginHost;
  readonly connections: ConnectionManager;
  readonly reconnector: Reconnector;
  readonly failover: Failover;
  /** The invites waiting for an answer, and those the last run left waiting (lost with it). */
  readonly invites: InviteJournal;
  /** Plugin packages of the data folder, loaded at start once enabled in settings. */
  readonly external: DataFolderPlugins;
  /** The plugins of the config (and the service's policies): a data-folder plugin takes none of their names. */
  readonly #builtInNames: string[];
  #ports = new Set<Port>();
  #relayed = new Set<string>();

  constructor(private readonly options: ServiceOptions) {
    const state = (this.state = new ServiceState(options.dataDir, options.name));
    // Policies come first so they decide before anything asks the user.
    const plugins = [rateLimit(), knownPeersPolicy(this.state, (peerId) => this.reconnector.isPaused(peerId)), ...options.config.plugins];
    this.#builtInNames = plugins.map((plugin) => String(plugin.definition?.name));
    this.pluginHost = new PluginHost({
      plugins,
      // Live: a display name changed in settings applies to the next connection.
      local: {
        get id() {
          return state.peerId;
        },
        get name() {
          return state.settings.displayName;
        },
      },
      savedOptions: this.state.settings.pluginOptions ?? {},
      dataDir: options.dataDir,
      // Plugins add methods and events of their own, never one of the service's.
      reservedNames: new Set([...Object.keys(methods), ...Object.keys(events)]),
      ...(options.config.pluginTimeoutMs !== undefined ? { pluginTimeoutMs: options.config.pluginTimeoutMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.connections = new ConnectionManager(this.pluginHost, {
      ...(options.linkSchemes ? { linkSchemes: options.linkSchemes } : {}),
      ...(options.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      // Every connection proves our id with our key and requires the remote to prove its own.
      connection: { identity: state.identity, proofSuite: nodeProofSuite, sessionCrypto: nodeSessionCrypto },
    });
    this.pluginHost.on('state', (state) => this.#broadcast('host.state', state));
    this.pluginHost.on('plugin-error', ({ plugin, error }) => this.#broadcast('plugin.error', { plugin, error: { ...error, plugin } }));
    this.pluginHost.on('plugin-event', ({ event, data }) => this.#send({ type: 'event', event, data }));
    this.external = new DataFolderPlugins(options.dataDir, (level, message) => options.logger?.(level, `[external plugins] ${message}`));
    this.invites = new InviteJournal(options.dataDir, (level, message) => options.logger?.(level, message));
    this.connections.on('attempt', (attempt) => {
      this.invites.record(attempt);
      this.#broadcast('attempt.updated', attempt);
    });
    this.connections.on('connection', (connection) => this.#broadcast('connection.updated', connection));
    this.connections.on('link-rejected', (rejection) => this.#broadcast('link.rejected', rejection));
    this.connections.on('health', (report) => this.#broadcast('signaling.health', report));
    this.failover = new Failover(this.connections, this.pluginHost, {
      order: () => this.state.settings.methodOrder,
      ...(options.failoverSilenceMs !== undefined ? { silenceMs: options.failoverSilenceMs } : {}),
      ...(options.logger ? { log: options.logger } : {}),
    });
    this.reconnector = new Reconnector(this.connections, this.failover, this.state, {
      ...(options.reconnectRetryMs !== undefined ? { retryMs: options.reconnectRetryMs } : {}),
      ...(options.logger ? { log: options.logger } : {}),
    });
  }

  async start(): Promise<void> {
    this.invites.start();
    this.pluginHost.add(...(await this.external.load(this.state.settings.enabledPlugins ?? [], this.pluginHost.timeoutMs, this.#builtInNames)));
    await this.pluginHost.start();
    await this.connections.start();
    this.reconnector.start();
  }

  async stop(): Promise<void> {
    // The invites still waiting end with this run: the journal keeps them for the next one.
    this.invites.stop();
    this.reconnector.stop();
    await this.connections.stop();
    await this.pluginHost.stop();
  }

  /** Serve the protocol on a client port until it closes. */
  serve(port: Port): void {
    this.#ports.add(port);
    const stop = serveRequests(port, { core: this.#handlers, plugins: this.pluginHost }, (level, message) => this.options.logger?.(level, message));
    port.onClose?.(() => {
      stop();
      this.#ports.delete(port);
    });
  }

  #broadcast<E extends EventName>(event: E, data: EventData<E>): void {
    this.#send({ type: 'event', event, data });
  }

  /** To every client. */
  #send(message: unknown): void {
    for (const port of this.#ports) {
      try {
        port.send(message);
      } catch {
        this.#ports.delete(port); // a closed port: stop sending to it
      }
    }
  }

  #handlers: Handlers = {
    'service.status': () => ({
      state: this.pluginHost.state,
      local: this.state.local,
      dataDir: this.options.dataDir,
      pid: process.pid,
      permissions: permissionsInEffect(this.options.dataDir),
    }),
    'service.shutdown': () => {
      // Answer first; the caller then sees the process exit.
      queueMicrotask(() => this.options.onShutdownRequested?.());
      return {};
    },
    'plugins.list': () => this.pluginHost.plugins(),
    'plugins.external': () => this.external.list(this.state.settings.enabledPlugins ?? [], this.pluginHost.plugins()),
    'plugins.enable': ({ package: name, enabled }) => {
      const before = this.state.settings.enabledPlugins ?? [];
      // Only a package plugins.json names is enabled (one that left the file may still be disabled).
      if (enabled && !before.includes(name) && !this.external.names(name)) {
        throw new WhatNextError('unknown_external_plugin', `${this.external.file} names no package "${name}".`);
      }
      const next = enabled ? [...new Set([...before, name])] : before.filter((other) => other !== name);
      this.#broadcast('settings.changed', this.state.updateSettings({ enabledPlugins: next }));
      return this.external.list(next, this.pluginHost.plugins());
    },
    'plugins.configure': ({ plugin, options }) => {
      const applied = this.pluginHost.configure(plugin, options);
      const saved = this.pluginHost.plugins().find((p) => p.name === plugin);
      this.state.updateSettings({ pluginOptions: { ...this.state.settings.pluginOptions, [plugin]: saved?.options ?? (applied as Record<string, unknown>) } });
      const plugins = this.pluginHost.plugins();
      this.#broadcast('plugins.changed', plugins);
      return plugins.find((p) => p.name === plugin)!;
    },
    'signaling.list': () => {
      const order = this.failover.reachOrder();
      return this.pluginHost.plugins().flatMap((plugin) =>
        plugin.signaling.map((name) => {
          const method = this.pluginHost.signaling.get(name);
          const health = this.connections.health(name);
          return {
            name,
            description: method.description,
            plugin: plugin.name,
            transports: this.connections.transportsOf(method),
            ...(order.includes(name) && { failoverRank: order.indexOf(name) + 1 }),
            ...(health && { health }),
          };
        }),
      );
    },
    'links.open': ({ link }) => this.connections.openLink(link),
    'attempts.invite': ({ method }) => {
      const chosen = method ?? this.state.settings.defaultMethod ?? this.pluginHost.signaling.list()[0]?.name;
      if (!chosen) throw new WhatNextError('no_signaling', 'No signaling method is installed: add one to plugins.config.ts.');
      return this.connections.invite(chosen === ANY_METHOD ? this.failover.firstUp() : chosen);
    },
    'attempts.list': () => [...this.invites.lost, ...this.connections.attempts()],
    'attempts.approve': ({ attemptId }) => this.connections.approve(attemptId),
    'attempts.reject': ({ attemptId, reason }) => this.connections.reject(attemptId, reason),
    'attempts.answer': ({ attemptId, questionId, answer }) => this.connections.answer(attemptId, questionId, answer),
    'attempts.cancel': ({ attemptId }) => this.connections.cancel(attemptId),
    'connections.list': () => this.connections.connections(),
    'connections.close': async ({ connectionId, reason }) => {
      await this.connections.close(connectionId, reason);
      return {};
    },
    'connections.send': async ({ connectionId, channel, message }) => {
      await this.connections.connection(connectionId).channel(channel).send(message);
      return {};
    },
    'connections.listen': ({ connectionId, channel }) => {
      const key = `${connectionId}\u0000${channel}`;
      if (!this.#relayed.has(key)) {
        this.#relayed.add(key);
        const connection = this.connections.connection(connectionId);
        connection.channel(channel).onMessage((message) => this.#broadcast('connection.message', { connectionId, channel, message }));
        void connection.closed.then(() => this.#relayed.delete(key));
      }
      return {};
    },
    'peers.known': () => this.state.knownPeers,
    'peers.reconnect': ({ peerId }) => this.reconnector.reconnect(peerId),
    'peers.update': ({ peerId, autoConnect }) => {
      const peer = this.state.setAutoConnect(peerId, autoConnect);
      if (autoConnect) this.reconnector.sweep();
      return peer;
    },
    'peers.forget': ({ peerId }) => {
      this.state.forget(peerId);
      return {};
    },
    'settings.get': () => this.state.settings,
    'settings.update': (change) => {
      if (change.defaultMethod !== undefined && change.defaultMethod !== ANY_METHOD && !this.pluginHost.signaling.has(change.defaultMethod)) {
        throw new WhatNextError('unknown_signaling', `There is no signaling method named "${change.defaultMethod}".`);
      }
      const unknown = change.methodOrder?.find((name) => !this.pluginHost.signaling.has(name));
      if (unknown !== undefined) throw new WhatNextError('unknown_signaling', `There is no signaling method named "${unknown}".`);
      const settings = this.state.updateSettings(change);
      this.#broadcast('settings.changed', settings);
      return settings;
    },
  };
}
