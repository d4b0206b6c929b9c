/**
 * PluginHost: loads plugins in config order (a plugin after those it depends on), runs their
 * setup and the init hook, keeps a status per plugin, and stops them on shutdown. One plugin
 * failing (bad options, incompatible API, a missing dependency, a throwing or hanging hook)
 * marks that plugin failed, and the plugins that depend on it, and withdraws what they
 * registered; the host stays up.
 *
 * Plugins extend the service protocol (`protocol`, `ctx.handle`, `ctx.emit`; served through
 * `call` and the `plugin-event` event) and offer services to the plugins that depend on them
 * (`ctx.provide`, `ctx.use`).
 */
import semver from 'semver';
import { z } from 'zod';
import { describeIssues } from '../util/issues';
import type { PeerInfo } from '../contracts/peer';
import type { SignalingMethod } from '../contracts/signaling';
import type { Transport } from '../contracts/transport';
import { PluginConfigError, PluginError, PluginTimeoutError, WhatNextError, describe } from '../errors';
import { HOST_API_VERSION, PluginName, type PluginDefinition, type PluginInstance } from '../plugin';
import type { MethodDef } from '../protocol/define';
import { orderByDependencies } from './dependencies';
import { Emitter } from '../util/emitter';
import type { Logger, PluginContext } from './context';
import { guardHook, guardHookMap } from './guard';
import { withTimeout } from '../util/timeout';
import { HOOKS, createHooks, pluginHooks, type HostHooks, type HookName } from './hooks';
import { Registry } from './registry';

export const HostState = z.enum(['idle', 'starting', 'running', 'stopping', 'stopped']);
export type HostState = z.infer<typeof HostState>;

export const PluginFailure = z.object({ code: z.string(), message: z.string(), hook: z.string().optional() });
export type PluginFailure = z.infer<typeof PluginFailure>;

export const PluginStatus = z.object({
  name: z.string(),
  version: z.string(),
  api: z.string(),
  description: z.string(),
  state: z.enum(['loading', 'active', 'failed']),
  error: PluginFailure.optional(),
  transports: z.array(z.string()),
  signaling: z.array(z.string()),
  /** Protocol methods and events the plugin adds (`protocol`). */
  methods: z.array(z.string()),
  events: z.array(z.string()),
  /** Plugins it depends on. */
  dependencies: z.array(z.string()),
  /** JSON Schema of the plugin's options (for a generated settings form). */
  optionsSchema: z.record(z.string(), z.unknown()).optional(),
  /** Current options, as far as JSON can show them. */
  options: z.record(z.string(), z.unknown()).optional(),
  /** Options applied while the plugin runs (`liveOptions`); any other takes a restart. */
  liveOptions: z.array(z.string()),
  /** Options the settings page keeps under "Advanced" (`advancedOptions`). */
  advancedOptions: z.array(z.string()),
});
export type PluginStatus = z.infer<typeof PluginStatus>;

export interface HostOptions {
  plugins: readonly PluginInstance[];
  local: PeerInfo;
  /** Options saved by the user, by plugin name: they replace the config's options. */
  savedOptions?: Readonly<Record<string, unknown>>;
  /** Per-tap timeout of async hooks and setup. Default 10 s. */
  pluginTimeoutMs?: number;
  /** Root of the plugins' data folders (`<dataDir>/plugins/<name>`). */
  dataDir?: string;
  /** Method and event names a plugin's protocol may not take (the service's own). */
  reservedNames?: ReadonlySet<string>;
  logger?: Logger;
}

interface HostEvents extends Record<string, unknown> {
  state: HostState;
  'plugin-error': { plugin: string; error: PluginFailure };
  /** A plugin emitted one of its protocol events (data already checked against its schema). */
  'plugin-event': { plugin: string; event: string; data: unknown };
}

/** A protocol method a plugin declared, and its handler once the plugin registered one. */
interface PluginMethod {
  plugin: string;
  def: MethodDef;
  handler?: (params: unknown) => unknown;
}

export const DEFAULT_PLUGIN_TIMEOUT_MS = 10_000;

export class PluginHost {
  readonly hooks: HostHooks = createHooks();
  readonly transports = new Registry<Transport>('transport', 'unknown_transport');
  readonly signaling = new Registry<SignalingMethod>('signaling method', 'unknown_signaling_method');
  readonly local: PeerInfo;
  readonly timeoutMs: number;

  #state: HostState = 'idle';
  #plugins = new Map<string, { definition: PluginDefinition; status: PluginStatus; options: unknown }>();
  #methods = new Map<string, PluginMethod>();
  #services = new Map<string, unknown>();
  #events = new Emitter<HostEvents>((error) => this.log('error', `event listener failed: ${describe(error)}`));
  #options: HostOptions;

  constructor(options: HostOptions) {
    this.#options = options;
    this.local = options.local;
    this.timeoutMs = options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
    const policy = (isolated: boolean) => ({
      timeoutMs: this.timeoutMs,
      isolated,
      isFailed: (plugin: string) => this.#plugins.get(plugin)?.status.state === 'failed',
      report: (error: PluginError | PluginTimeoutError) => this.#fail(error.plugin, error),
    });
    for (const name of Object.keys(HOOKS) as HookName[]) {
      const { keyed, isolated } = HOOKS[name];
      if (keyed) guardHookMap(this.hooks[name] as never, name, policy(isolated));
      else guardHook(this.hooks[name] as never, name, policy(isolated));
    }
  }

  get state(): HostState {
    return this.#state;
  }

  on<E extends keyof HostEvents>(event: E, listener: (value: HostEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  plugins(): PluginStatus[] {
    return [...this.#plugins.values()].map(({ status, definition, options }) => ({
      ...status,
      ...(options !== undefined ? { options: jsonOptions(options) } : {}),
      transports: status.state === 'failed' ? [] : this.transports.namesBy(definition.name),
      signaling: status.state === 'failed' ? [] : this.signaling.namesBy(definition.name),
    }));
  }

  /** Whether a plugin declared a protocol method of that name. */
  hasMethod(method: string): boolean {
    return this.#methods.has(method);
  }

  /** Serve a request for a plugin's method: params checked against its schema, the handler
   * run, its result checked before it is returned. A plugin's `WhatNextError` comes out as it
   * is (it is for the caller); anything else as a `PluginError` naming plugin and method. */
  async call(method: string, rawParams: unknown): Promise<unknown> {
    const entry = this.#methods.get(method);
    if (!entry) throw new WhatNextError('unknown_method', `No plugin offers a method named "${method}".`);
    const { plugin, def, handler } = entry;
    const status = this.#plugins.get(plugin)?.status;
    if (status?.state === 'failed')
      throw new WhatNextError('plugin_unavailable', `${method} is not available: the ${plugin} plugin failed (${status.error?.message}).`);
    if (!handler) throw new WhatNextError('plugin_unavailable', `${method} is not available yet: the ${plugin} plugin has not started it.`);
    const params = def.params.safeParse(rawParams);
    if (!params.success) throw new WhatNextError('bad_request', `Invalid parameters for ${method}: ${describeIssues(params.error)}`);
    let result: unknown;
    try {
      result = await handler(params.data);
    } catch (error) {
      throw error instanceof WhatNextError ? error : new PluginError(plugin, `method ${method}`, error);
    }
    const checked = def.result.safeParse(result);
    if (!checked.success) throw new PluginError(plugin, `method ${method}`, new Error(`it returned an invalid result: ${describeIssues(checked.error)}`));
    return checked.data;
  }

  /** Validated options of a loaded plugin. */
  pluginOptions(name: string): unknown {
    return this.#plugins.get(name)?.options;
  }

  /** Validate and apply new options for a plugin (from settings). Throws a
   * `PluginConfigError` naming the fields that are wrong; nothing changes then. */
  configure(name: string, rawOptions: unknown): unknown {
    const entry = this.#plugins.get(name);
    if (!entry || entry.status.state === 'loading') throw new WhatNextError('unknown_plugin', `No plugin named "${name}" is loaded.`);
    // Merge over the current options: fields a form cannot show (an injected engine) stay.
    const parsed = (entry.definition.options ?? z.object({}).strict()).safeParse({ ...asObject(entry.options), ...asObject(rawOptions) });
    if (!parsed.success) throw new PluginConfigError(name, `has invalid options:\n${describeIssues(parsed.error)}`, { cause: parsed.error });
    entry.options = parsed.data;
    this.hooks.optionsChanged.for(name).call(parsed.data);
    return parsed.data;
  }

  /** Plugins found after the host was made (a service's data folder's): loaded after the
   * config's, at start. Only before start: plugins are not loaded into a running host. */
  add(...instances: PluginInstance[]): void {
    if (this.#state !== 'idle') throw new WhatNextError('host_state', `cannot add plugins to a host that is ${this.#state}`);
    this.#options = { ...this.#options, plugins: [...this.#options.plugins, ...instances] };
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new WhatNextError('host_state', `cannot start a host that is ${this.#state}`);
    this.#setState('starting');
    const { ordered, cycles } = orderByDependencies(this.#options.plugins);
    for (const instance of ordered) await this.#load(instance);
    for (const { instance, cycle } of cycles) {
      const name = String(instance.definition?.name);
      this.#refuse(name, this.#statusOf(instance.definition), `depends on itself through ${cycle.join(' → ')}`);
    }
    await this.hooks.init.promise();
    this.#setState('running');
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#setState('stopping');
    await this.hooks.shutdown.promise();
    this.#setState('stopped');
    this.#events.clear();
  }

  log(level: Parameters<Logger>[0], message: string): void {
    this.#options.logger?.(level, message);
  }

  #statusOf(definition: PluginDefinition | undefined): PluginStatus {
    return {
      name: String(definition?.name),
      version: String(definition?.version),
      api: String(definition?.api),
      description: definition?.description ?? '',
      state: 'loading',
      transports: [],
      signaling: [],
      methods: Object.keys(definition?.protocol?.methods ?? {}),
      events: Object.keys(definition?.protocol?.events ?? {}),
      dependencies: [...(definition?.dependencies ?? [])],
      optionsSchema: optionsJsonSchema(definition?.options),
      liveOptions: optionNames(definition?.liveOptions),
      advancedOptions: optionNames(definition?.advancedOptions),
    };
  }

  async #load(instance: PluginInstance): Promise<void> {
    const definition = instance.definition;
    const name = String(definition?.name);
    const status = this.#statusOf(definition);
    const nameCheck = PluginName.safeParse(name);
    if (!nameCheck.success) return this.#refuse(name, status, `has an invalid name: ${nameCheck.error.issues[0]?.message}`);
    if (this.#plugins.has(name)) {
      // Keep the first plugin of that name; report the duplicate without replacing it.
      const error = new PluginConfigError(name, 'is listed twice in the config: plugin names must be unique');
      this.log('error', error.message);
      this.#events.emit('plugin-error', { plugin: name, error: failure(error) });
      return;
    }
    this.#plugins.set(name, { definition, status, options: undefined });

    if (!semver.validRange(status.api) || !semver.satisfies(HOST_API_VERSION, status.api)) {
      return this.#refuse(
        name,
        status,
        `supports host API "${status.api}", but this host provides API ${HOST_API_VERSION}; plugins must declare a range that includes it (for example "^${semver.major(HOST_API_VERSION)}.0.0")`,
      );
    }
    const schema = definition.options ?? z.object({}).strict();
    const configured = { ...asObject(instance.rawOptions) };
    let parsed = schema.safeParse({ ...configured, ...asObject(this.#options.savedOptions?.[name]) });
    if (!parsed.success && this.#options.savedOptions?.[name] !== undefined) {
      // Saved options that no longer fit (the plugin changed): fall back to the config's.
      this.log('warn', `[plugin ${name}] saved options are no longer valid; using the config's: ${describeIssues(parsed.error)}`);
      parsed = schema.safeParse(instance.rawOptions ?? {});
    }
    if (!parsed.success) return this.#refuse(name, status, `has invalid options:\n${describeIssues(parsed.error)}`, parsed.error);
    this.#plugins.get(name)!.options = parsed.data;
    const unmet = this.#unmetDependency(definition);
    if (unmet) return this.#refuse(name, status, unmet);
    const clash = this.#declareProtocol(name, definition);
    if (clash) return this.#refuse(name, status, clash);

    try {
      await withTimeout(
        Promise.resolve().then(() => definition.setup(this.#context(name), parsed.data)),
        this.timeoutMs,
        () => new PluginTimeoutError(name, 'setup', this.timeoutMs),
      );
      if (status.state === 'loading') status.state = 'active';
    } catch (error) {
      this.#fail(name, error instanceof PluginTimeoutError ? error : new PluginError(name, 'setup', error));
    }
  }

  /** Why a plugin's dependencies are not there for it, if they are not. */
  #unmetDependency(definition: PluginDefinition): string | undefined {
    for (const dependency of definition.dependencies ?? []) {
      const entry = this.#plugins.get(dependency);
      if (!entry) return `depends on plugin ${dependency}, which is not in the config`;
      if (entry.status.state === 'failed') return `depends on plugin ${dependency}, which failed: ${entry.status.error?.message}`;
    }
    return undefined;
  }

  /** Take the plugin's method and event names, or say which it may not have. */
  #declareProtocol(plugin: string, definition: PluginDefinition): string | undefined {
    const reserved = this.#options.reservedNames ?? new Set<string>();
    const names = [...Object.keys(definition.protocol?.methods ?? {}), ...Object.keys(definition.protocol?.events ?? {})];
    for (const name of names) {
      if (reserved.has(name)) return `declares "${name}", which is the service's own`;
      const owner =
        this.#methods.get(name)?.plugin ??
        [...this.#plugins.values()].find((p) => p.definition.name !== plugin && p.status.state !== 'failed' && p.status.events.includes(name))?.definition.name;
      if (owner) return `declares "${name}", which plugin ${owner} declares too`;
    }
    for (const [method, def] of Object.entries(definition.protocol?.methods ?? {})) this.#methods.set(method, { plugin, def });
    return undefined;
  }

  #context(plugin: string): PluginContext {
    const dataDir = this.#options.dataDir;
    const definition = this.#plugins.get(plugin)!.definition;
    const declared = (kind: 'method' | 'event', name: string) => {
      const own = kind === 'method' ? definition.protocol?.methods : definition.protocol?.events;
      if (!own || !Object.hasOwn(own, name)) throw new PluginConfigError(plugin, `has no ${kind} "${name}" in its protocol`);
    };
    return Object.freeze({
      name: plugin,
      hooks: pluginHooks(this.hooks, plugin),
      local: this.local,
      dataDir: dataDir === undefined ? undefined : `${dataDir}/plugins/${plugin}`,
      registerTransport: (transport: Transport) => this.transports.register(plugin, transport),
      transports: () => this.transports.names(),
      registerSignaling: (method: SignalingMethod) => {
        this.signaling.register(plugin, method);
        // A method validates its own links through the keyed link hook.
        this.hooks.resolveLink.for(method.name).tap(plugin, (link) => method.parseLink(link.params));
      },
      handle: (method: string, handler: (params: never) => unknown) => {
        declared('method', method);
        this.#methods.get(method)!.handler = handler as (params: unknown) => unknown;
      },
      emit: (event: string, data: unknown) => {
        declared('event', event);
        if (this.#plugins.get(plugin)?.status.state === 'failed') return;
        const checked = definition.protocol!.events[event]!.safeParse(data);
        if (!checked.success) return this.log('error', `[plugin ${plugin}] emitted an invalid "${event}" event, not sent: ${describeIssues(checked.error)}`);
        this.#events.emit('plugin-event', { plugin, event, data: checked.data });
      },
      provide: (service: unknown) => {
        if (this.#services.has(plugin)) throw new PluginConfigError(plugin, 'provides a service twice');
        this.#services.set(plugin, service);
      },
      use: <T>(dependency: string): T => {
        if (!definition.dependencies?.includes(dependency))
          throw new PluginConfigError(plugin, `uses plugin ${dependency}, which it does not list in its dependencies`);
        if (!this.#services.has(dependency)) {
          const failed = this.#plugins.get(dependency)?.status.state === 'failed';
          throw new WhatNextError(
            'plugin_unavailable',
            `[plugin ${plugin}] needs the service of plugin ${dependency}, which ${failed ? 'failed' : 'provides none (yet)'}`,
          );
        }
        return this.#services.get(dependency) as T;
      },
      log: (level: Parameters<Logger>[0], message: string) => this.log(level, `[${plugin}] ${message}`),
    });
  }

  #refuse(name: string, status: PluginStatus, message: string, cause?: unknown): void {
    if (!this.#plugins.has(name)) this.#plugins.set(name, { definition: { name } as PluginDefinition, status, options: undefined });
    this.#fail(name, new PluginConfigError(name, message, { cause }));
  }

  #fail(plugin: string, error: WhatNextError): void {
    const entry = this.#plugins.get(plugin);
    if (entry?.status.state === 'failed') return;
    if (entry) {
      entry.status.state = 'failed';
      entry.status.error = failure(error);
    }
    this.transports.withdraw(plugin);
    this.signaling.withdraw(plugin);
    this.#services.delete(plugin);
    for (const [method, declared] of this.#methods) if (declared.plugin === plugin) delete this.#methods.get(method)!.handler;
    this.log('error', error.message);
    this.#events.emit('plugin-error', { plugin, error: failure(error) });
    // What needs it cannot work without it.
    for (const [name, other] of this.#plugins) {
      if (other.status.state !== 'failed' && other.definition.dependencies?.includes(plugin)) {
        this.#fail(name, new PluginConfigError(name, `depends on plugin ${plugin}, which failed: ${error.message}`));
      }
    }
  }

  #setState(state: HostState): void {
    this.#state = state;
    this.#events.emit('state', state);
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The JSON-representable part of a plugin's options (what a settings form can show). */
function jsonOptions(options: unknown): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(options, (_key, value) => (typeof value === 'function' ? undefined : value))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function failure(error: WhatNextError): PluginFailure {
  const hook = error instanceof PluginError || error instanceof PluginTimeoutError ? error.hook : undefined;
  return { code: error.code, message: error.message, ...(hook ? { hook } : {}) };
}

/** A definition's list of option names, as far as it is one (a definition is a third party's). */
function optionNames(names: unknown): string[] {
  return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
}

function optionsJsonSchema(schema: z.ZodType | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  } catch {
    return undefined; // schemas with transforms/functions have no JSON form; the form shows none
  }
}
