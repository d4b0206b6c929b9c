/**
 * Every error core raises is a `WhatNextError` with a stable `code`, so callers (and the
 * renderer, after the error crossed a process boundary as `{ code, message }`) can tell them
 * apart without parsing messages.
 */
import type { ConnectionStage } from './contracts/stages';

/** Each error class's kind, under a key every copy of this package shares: a plugin installed
 * with its own copy of `@whatnext/core` throws errors of that copy's classes, and the host's
 * `instanceof TransportError` must still recognise them (the dual-package hazard). */
const KIND = Symbol.for('@whatnext/core.error-kind');

export class WhatNextError extends Error {
  static readonly [KIND]: string = 'WhatNextError';
  override name = 'WhatNextError';

  /** `instanceof` by kind: true for an instance of this class, or of the class of the same kind
   * (or a subclass of it) from another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    // A subclass that declares no kind of its own is matched by identity only.
    const kind = Object.hasOwn(this, KIND) ? (this as unknown as Record<symbol, unknown>)[KIND] : undefined;
    for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      if (proto === this.prototype) return true;
      const constructor: unknown = Object.hasOwn(proto, 'constructor') ? proto.constructor : undefined;
      if (
        kind !== undefined &&
        typeof constructor === 'function' &&
        Object.hasOwn(constructor, KIND) &&
        (constructor as unknown as Record<symbol, unknown>)[KIND] === kind
      )
        return true;
    }
    return false;
  }

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Thrown (or rejected) by a plugin inside a hook: names the plugin and the hook. */
export class PluginError extends WhatNextError {
  static override readonly [KIND]: string = 'PluginError';
  override name = 'PluginError';
  constructor(
    readonly plugin: string,
    readonly hook: string,
    cause: unknown,
  ) {
    super('plugin_error', `[plugin ${plugin}] hook ${hook} failed: ${describe(cause)}`, { cause });
  }
}

/** An async hook tap did not settle in time. */
export class PluginTimeoutError extends WhatNextError {
  static override readonly [KIND]: string = 'PluginTimeoutError';
  override name = 'PluginTimeoutError';
  constructor(
    readonly plugin: string,
    readonly hook: string,
    readonly timeoutMs: number,
  ) {
    super('plugin_timeout', `[plugin ${plugin}] hook ${hook} did not finish within ${timeoutMs} ms`);
  }
}

/** A plugin definition or its options were refused at start. */
export class PluginConfigError extends WhatNextError {
  static override readonly [KIND]: string = 'PluginConfigError';
  override name = 'PluginConfigError';
  constructor(
    readonly plugin: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('plugin_config', `[plugin ${plugin}] ${message}`, options);
  }
}

/** A whtnxt:// link (or a method's code) was refused; `reason` is a stable machine tag. */
export class LinkError extends WhatNextError {
  static override readonly [KIND]: string = 'LinkError';
  override name = 'LinkError';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('link_invalid', message, options);
  }
}

/** A transport failed; `stage` says where. */
export class TransportError extends WhatNextError {
  static override readonly [KIND]: string = 'TransportError';
  override name = 'TransportError';
  constructor(
    readonly stage: ConnectionStage,
    message: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(options?.code ?? 'transport_failed', message, options);
  }
}

/** The other side said no (its user rejected the request, or a policy did). Not a failure of
 * the network: a UI should say "declined", not "failed". */
export class RefusedByPeerError extends TransportError {
  static override readonly [KIND]: string = 'RefusedByPeerError';
  override name = 'RefusedByPeerError';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('signaling', `The other person refused the connection: ${reason}.`, { ...options, code: 'refused_by_peer' });
  }
}

/** A reason text from a remote (a refusal through a broker), made safe to show: bounded and
 * without control characters. */
export function cleanReason(text: string): string {
  const cleaned = text
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, 200);
  return cleaned || 'no reason given';
}

/** A malformed message arrived across a boundary (process, peer). */
export class ProtocolError extends WhatNextError {
  static override readonly [KIND]: string = 'ProtocolError';
  override name = 'ProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('protocol_error', message, options);
  }
}

export function describe(error: unknown): string {
  const denied = accessDenied(error);
  if (denied) return `the process is not permitted to do this (permission ${denied.permission || 'unnamed'}${denied.resource ? `, ${denied.resource}` : ''})`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Node's permission model refused something (`ERR_ACCESS_DENIED`): which permission, on what.
 * Its own message ("Access to this API has been restricted") names neither. */
function accessDenied(error: unknown): { permission: string; resource: string } | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'ERR_ACCESS_DENIED') return undefined;
  const { permission, resource } = error as { permission?: unknown; resource?: unknown };
  return { permission: typeof permission === 'string' ? permission : '', resource: typeof resource === 'string' ? resource : '' };
}
