/**
 * A plugin installed with its own copy of `@whatnext/core` throws that copy's error classes; the
 * host's `instanceof` checks must still see a `TransportError` (and only a `TransportError`).
 */
import { expect, it } from 'vitest';
import { LinkError, PluginError, ProtocolError, RefusedByPeerError, TransportError, WhatNextError } from './errors';

it('recognises errors of another copy of the package by kind, and nothing else', async () => {
  // The same module loaded a second time: classes with the same kinds, different identities.
  const another = './errors.ts?another-copy';
  const copy = (await import(/* @vite-ignore */ another)) as typeof import('./errors');
  expect(copy.TransportError).not.toBe(TransportError);

  const foreign = new copy.TransportError('channel', 'the socket went away');
  expect(foreign instanceof TransportError).toBe(true);
  expect(foreign instanceof WhatNextError).toBe(true);
  expect(foreign instanceof LinkError).toBe(false);
  expect(foreign instanceof RefusedByPeerError).toBe(false);
  expect(new copy.RefusedByPeerError('busy') instanceof TransportError).toBe(true);
  expect(new copy.WhatNextError('x', 'y') instanceof TransportError).toBe(false);
  expect(new copy.ProtocolError('bad frame') instanceof ProtocolError).toBe(true);

  // A subclass without a kind of its own is matched by identity: not by its parent's kind.
  class LocalError extends WhatNextError {}
  expect(new copy.WhatNextError('x', 'y') instanceof LocalError).toBe(false);
  expect(new LocalError('x', 'y') instanceof LocalError).toBe(true);
  expect(new LocalError('x', 'y') instanceof copy.WhatNextError).toBe(true);

  // Plain errors and non-objects are no WhatNextError.
  expect(new Error('plain') instanceof WhatNextError).toBe(false);
  expect((null as unknown) instanceof WhatNextError).toBe(false);
  expect(new PluginError('p', 'setup', new Error('x')) instanceof copy.PluginError).toBe(true);
});
