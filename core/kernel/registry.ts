/** A named registry of things plugins provide (transports, signaling methods), remembering
 * which plugin provided each so a failed plugin's entries can be withdrawn. */
import type { ErrorCode } from '../error-codes';
import { PluginConfigError, WhatNextError } from '../errors';

export class Registry<T extends { readonly name: string }> {
  #entries = new Map<string, { value: T; plugin: string }>();

  constructor(
    private readonly kind: string,
    /** The code of the error for a name nobody registered. */
    private readonly unknownCode: ErrorCode,
  ) {}

  register(plugin: string, value: T): void {
    const existing = this.#entries.get(value.name);
    if (existing) {
      throw new PluginConfigError(plugin, `${this.kind} "${value.name}" is already registered by plugin ${existing.plugin}`);
    }
    this.#entries.set(value.name, { value, plugin });
  }

  /** Withdraw everything a plugin registered (it failed). */
  withdraw(plugin: string): void {
    for (const [name, entry] of this.#entries) if (entry.plugin === plugin) this.#entries.delete(name);
  }

  get(name: string): T {
    const entry = this.#entries.get(name);
    if (!entry) {
      const known = [...this.#entries.keys()].join(', ') || 'none';
      throw new WhatNextError(this.unknownCode, `No ${this.kind} named "${name}" is installed (installed: ${known}).`);
    }
    return entry.value;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  list(): T[] {
    return [...this.#entries.values()].map((entry) => entry.value);
  }

  /** The names registered, in registration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  namesBy(plugin: string): string[] {
    return [...this.#entries].filter(([, entry]) => entry.plugin === plugin).map(([name]) => name);
  }
}
