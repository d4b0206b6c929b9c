/**
 * Defining plugins. A plugin module exports a factory made with `definePlugin`; the app's
 * `plugins.config.ts` calls the factories with options (like a `vite.config.ts`). Options are
 * validated when the host starts, so a bad option fails with the plugin's name and the field.
 */
import { z } from 'zod';
import type { PluginContext } from './host/context';

/** The host API version plugins declare a range against (`api: '^1.0.0'`). */
export const HOST_API_VERSION = '1.0.0';

export const PluginName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'a plugin name is lowercase letters, digits and dashes, starting with a letter');

export interface PluginDefinition<Schema extends z.ZodType = z.ZodType> {
  /** Unique among loaded plugins; tags every error the plugin raises. */
  name: string;
  /** The plugin's own version (semver). */
  version: string;
  /** The host API versions it supports, as a semver range: `'^1.0.0'`. */
  api: string;
  description?: string;
  /** Options schema. Also turned into JSON Schema for the settings form. */
  options?: Schema;
  /** Tap hooks and register what the plugin provides. May be async. */
  setup(context: PluginContext, options: z.output<Schema>): void | Promise<void>;
}

/** A definition bound to the raw (not yet validated) options the config passed. */
export interface PluginInstance {
  readonly definition: PluginDefinition;
  readonly rawOptions: unknown;
}

/** Options may be omitted when the schema accepts an empty object. */
export type PluginFactory<Schema extends z.ZodType> = {} extends z.input<Schema>
  ? (options?: z.input<Schema>) => PluginInstance
  : (options: z.input<Schema>) => PluginInstance;

export function definePlugin<Schema extends z.ZodType = z.ZodObject<{}>>(
  definition: PluginDefinition<Schema>,
): PluginFactory<Schema> {
  const frozen = Object.freeze({ ...definition }) as PluginDefinition;
  const factory = (rawOptions?: unknown): PluginInstance => Object.freeze({ definition: frozen, rawOptions });
  return factory as PluginFactory<Schema>;
}
