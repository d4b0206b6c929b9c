/**
 * Every error core raises is a `WhatNextError` with a stable `code`, so callers (and the
 * renderer, after the error crossed a process boundary as `{ code, message }`) can tell them
 * apart without parsing messages.
 */
import type { ConnectionStage } from './contracts/stages';

export class WhatNextError extends Error {
  override name = 'WhatNextError';
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
