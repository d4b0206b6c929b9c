/** Command-line options shared by the service entry and the CLI peer. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WhatNextConfig } from '../../core/config';
import { defaultDataDir } from './data-dir';

export interface EntryOptions {
  dataDir: string;
  name: string | undefined;
  configPath: string | undefined;
  dev: boolean;
  /** CLI peer only: approve every request without asking. */
  autoApprove: boolean;
  /** CLI peer only: print the service's whole log, debug lines too (default: warnings and errors). */
  verbose: boolean;
  /** How long a request waits for the user (default 30 s); tests shorten it. */
  approvalTimeoutMs: number | undefined;
}

export function parseEntryArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): EntryOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      config: { type: 'string' },
      dev: { type: 'boolean', default: false },
      'auto-approve': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'approval-timeout-ms': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    dataDir: resolve(values['data-dir'] ?? env.WHATNEXT_DATA_DIR ?? defaultDataDir(env)),
    name: values.name,
    configPath: values.config,
    dev: values.dev ?? false,
    autoApprove: values['auto-approve'] ?? false,
    verbose: values.verbose ?? false,
    approvalTimeoutMs: positiveInt(values['approval-timeout-ms'], '--approval-timeout-ms'),
  };
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new Error(`${flag} takes a whole number of milliseconds, not "${value}"`);
  return number;
}

/** The app's plugins.config.ts, or another config file (tests use their own). */
export async function loadConfig(path: string | undefined): Promise<WhatNextConfig> {
  const module = path ? await import(pathToFileURL(resolve(path)).href) : await import('../../plugins.config');
  const config = (module as { default?: WhatNextConfig }).default;
  if (!config || !Array.isArray(config.plugins)) throw new Error(`${path ?? 'plugins.config.ts'} must default-export defineConfig({ plugins: [...] })`);
  return config;
}

/** Link schemes: `whtnxt-dev` in development so a dev build does not steal real links. */
export function linkSchemes(dev: boolean): string[] {
  return dev ? ['whtnxt-dev', 'whtnxt'] : ['whtnxt'];
}
