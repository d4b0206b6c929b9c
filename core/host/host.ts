/**
 * PluginHost: loads plugins in config order, runs their setup and the init hook, keeps a status
 * per plugin, and stops them on shutdown. One plugin failing (bad options, incompatible API,
 * a throwing or hanging hook) marks that plugin failed and withdraws what it registered; the
 * host stays up.
 */
import semver from 'semver';
import { z } from 'zod';
import type { PeerInfo } from '../contracts/peer';
import type { SignalingMethod } from '../contracts/signaling';
import type { Transport } from '../contracts/transport';
import { PluginConfigError, PluginError, PluginTimeoutError, WhatNextError, describe } from '../errors';
import { HOST_API_VERSION, PluginName, type PluginDefinition, type PluginInstance } from '../plugin';
import { Emitter } from '../util/emitter';
import type { Logger, PluginContext } from './context';
import { guardHook, guardHookMap } from './guard';
import { withTimeout } from '../util/timeout';
import { ISOLATED_HOOKS, createHooks, type HostHooks } from './hooks';
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
  /** JSON Schema of the plugin's options (for a generated settings form). */
  optionsSchema: z.record(z.string(), z.unknown()).optional(),
  /** Current options, as far as JSON can show them. */
  options: z.record(z.string(), z.unknown()).optional(),
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
  logger?: Logger;
}

interface HostEvents extends Record<string, unknown> {
  state: HostState;
  'plugin-error': { plugin: string; error: PluginFailure };
}

export const DEFAULT_PLUGIN_TIMEOUT_MS = 10_000;

export class PluginHost {
  readonly hooks: HostHooks = createHooks();
  readonly transports = new Registry<Transport>('transport');
  readonly signaling = new Registry<SignalingMethod>('signalling method');
  readonly local: PeerInfo;
  readonly timeoutMs: number;

  #state: HostState = 'idle';
  #plugins = new Map<string, { definition: PluginDefinition; status: PluginStatus; options: unknown }>();
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
    for (const [name, hook] of Object.entries(this.hooks)) {
      if (name === 'resolveLink') guardHookMap(hook as never, name, policy(false));
      else if (name === 'optionsChanged') guardHookMap(hook as never, name, policy(true));
      else guardHook(hook as never, name, policy(ISOLATED_HOOKS.has(name)));
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
    if (!parsed.success) throw new PluginConfigError(name, `has invalid options:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
    entry.options = parsed.data;
    this.hooks.optionsChanged.for(name).call(parsed.data);
    return parsed.data;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new WhatNextError('host_state', `cannot start a host that is ${this.#state}`);
    this.#setState('starting');
    for (const instance of this.#options.plugins) await this.#load(instance);
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

  async #load(instance: PluginInstance): Promise<void> {
    const definition = instance.definition;
    const name = String(definition?.name);
    const status: PluginStatus = {
      name,
      version: String(definition?.version),
      api: String(definition?.api),
      description: definition?.description ?? '',
      state: 'loading',
      transports: [],
      signaling: [],
      optionsSchema: optionsJsonSchema(definition?.options),
    };
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
      this.log('warn', `[plugin ${name}] saved options are no longer valid; using the config's: ${z.prettifyError(parsed.error)}`);
      parsed = schema.safeParse(instance.rawOptions ?? {});
    }
    if (!parsed.success) return this.#refuse(name, status, `has invalid options:\n${z.prettifyError(parsed.error)}`, parsed.error);
    this.#plugins.get(name)!.options = parsed.data;

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

  #context(plugin: string): PluginContext {
    const dataDir = this.#options.dataDir;
    return Object.freeze({
      name: plugin,
      hooks: this.hooks,
      local: this.local,
      dataDir: dataDir === undefined ? undefined : `${dataDir}/plugins/${plugin}`,
      registerTransport: (transport: Transport) => this.transports.register(plugin, transport),
      registerSignaling: (method: SignalingMethod) => {
        this.signaling.register(plugin, method);
        // A method validates its own links through the keyed link hook.
        this.hooks.resolveLink.for(method.name).tap(plugin, (link) => method.parseLink(link.params));
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
    if (entry) {
      entry.status.state = 'failed';
      entry.status.error = failure(error);
    }
    this.transports.withdraw(plugin);
    this.signaling.withdraw(plugin);
    this.log('error', error.message);
    this.#events.emit('plugin-error', { plugin, error: failure(error) });
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

function optionsJsonSchema(schema: z.ZodType | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  } catch {
    return undefined; // schemas with transforms/functions have no JSON form; the form shows none
  }
}

