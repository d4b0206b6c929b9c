/**
 * Defining plugins. A plugin module exports a factory made with `definePlugin`; the app's
 * `plugins.config.ts` calls the factories with options (like a `vite.config.ts`). Options are
 * validated when the host starts, so a bad option fails with the plugin's name and the field.
 */
import { z } from 'zod';
import type { PluginContext } from './kernel/context';
import type { ProtocolSpec } from './protocol/define';

/** The host API version plugins declare a range against (`api: '^2.0.0'`); what each version
 * changed is in core/CHANGELOG.md. */
export const HOST_API_VERSION = '2.3.0';

export const PluginName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a plugin name is lowercase letters, digits and dashes, starting with a letter');

/** The name of one of a plugin's options. */
export type OptionKey<Schema extends z.ZodType> = Extract<keyof NonNullable<z.input<Schema>>, string>;

/** A plugin that adds nothing to the protocol. */
export type NoProtocol = { readonly methods: {}; readonly events: {} };

export interface PluginDefinition<Schema extends z.ZodType = z.ZodType, P extends ProtocolSpec = ProtocolSpec> {
  /** Unique among loaded plugins; tags every error the plugin raises. */
  name: string;
  /** The plugin's own version (semver). */
  version: string;
  /** The host API versions it supports, as a semver range: `'^1.0.0'`. */
  api: string;
  description?: string;
  /** Options schema. Also turned into JSON Schema for the settings form. */
  options?: Schema;
  /** The options this plugin applies while it runs (it taps `hooks.optionsChanged` and reads
   * the new value from then on). Every other option is read at setup only: a change saved in
   * settings takes effect after a restart, and the settings page says so. */
  liveOptions?: readonly OptionKey<Schema>[];
  /** Options for developers and unusual set-ups (frame sizes, timeouts, debug switches): the
   * settings page shows them under "Advanced", closed by default. */
  advancedOptions?: readonly OptionKey<Schema>[];
  /** Plugins this one needs, by name: they are set up and started before it, and their services
   * are what `ctx.use` returns. One that is missing or failed fails this one, naming it. */
  dependencies?: readonly string[];
  /** Methods and events this plugin adds to the service protocol (`defineProtocol`, in a module
   * of its own a UI can import). The service validates both ways and routes requests to the
   * handlers the plugin registers with `ctx.handle`. */
  protocol?: P;
  /** Tap hooks and register what the plugin provides. May be async. */
  setup(context: PluginContext<P>, options: z.output<Schema>): void | Promise<void>;
}

/** A definition bound to the raw (not yet validated) options the config passed. `P` is its
 * protocol, carried in the type so that a config's protocol can be read off it (`ProtocolOf`). */
export interface PluginInstance<P extends ProtocolSpec = ProtocolSpec> {
  readonly definition: PluginDefinition<z.ZodType, P>;
  readonly rawOptions: unknown;
}

/** Options may be omitted when the schema accepts an empty object. */
export type PluginFactory<Schema extends z.ZodType, P extends ProtocolSpec = NoProtocol> =
  {} extends z.input<Schema> ? (options?: z.input<Schema>) => PluginInstance<P> : (options: z.input<Schema>) => PluginInstance<P>;

export function definePlugin<Schema extends z.ZodType = z.ZodObject<{}>, P extends ProtocolSpec = NoProtocol>(
  definition: PluginDefinition<Schema, P>,
): PluginFactory<Schema, P> {
  const frozen = Object.freeze({ ...definition, ...(definition.dependencies ? { dependencies: Object.freeze([...definition.dependencies]) } : {}) });
  const factory = (rawOptions?: unknown): PluginInstance<P> => Object.freeze({ definition: frozen as unknown as PluginDefinition<z.ZodType, P>, rawOptions });
  return factory as PluginFactory<Schema, P>;
}
