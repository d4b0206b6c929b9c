/**
 * How a protocol is written: a map of methods (one params schema and one result schema each) and
 * a map of events (one data schema each). Core's own is in ./index.ts; a plugin adds its own
 * with `defineProtocol` in a module of its own, free of Node dependencies, so that a UI can import
 * it (its types, or its schemas).
 */
import { z } from 'zod';

export interface MethodDef<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly params: P;
  readonly result: R;
}

export const def = <P extends z.ZodType, R extends z.ZodType>(params: P, result: R): MethodDef<P, R> => ({ params, result });
export const Empty = z.object({}).strict();

/** A set of methods and events, named `<area>.<verb>` (`playlists.create`, `tracks.changed`). */
export interface ProtocolSpec {
  readonly methods: Readonly<Record<string, MethodDef>>;
  readonly events: Readonly<Record<string, z.ZodType>>;
}

/** The form every method and event name takes: lowercase words joined by dots (at least two). */
export const PROTOCOL_NAME = /^[a-z][a-zA-Z0-9]{0,31}(?:\.[a-z][a-zA-Z0-9]{0,31}){1,3}$/;
export const ProtocolName = z
  .string()
  .max(131, { abort: true })
  .regex(PROTOCOL_NAME, 'a method or event name is words joined by dots, like "playlists.create"');

/** A plugin's protocol: checked at definition, so a malformed name fails where it is written. */
export function defineProtocol<const M extends Record<string, MethodDef>, const E extends Record<string, z.ZodType>>(protocol: {
  methods: M;
  events: E;
}): { readonly methods: M; readonly events: E } {
  for (const name of [...Object.keys(protocol.methods), ...Object.keys(protocol.events)]) {
    if (!PROTOCOL_NAME.test(name)) throw new TypeError(`"${name}" is not a protocol name: use words joined by dots, like "playlists.create"`);
  }
  return Object.freeze({ methods: Object.freeze({ ...protocol.methods }), events: Object.freeze({ ...protocol.events }) });
}

/** Several protocols (a union of them) as one: core's and the plugins'. */
export type Merged<Specs extends ProtocolSpec> = {
  readonly methods: UnionToIntersection<Specs['methods']>;
  readonly events: UnionToIntersection<Specs['events']>;
};

type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;

// ---- what a protocol's types are ----

export type MethodNameOf<P extends ProtocolSpec> = keyof P['methods'] & string;
export type EventNameOf<P extends ProtocolSpec> = keyof P['events'] & string;
export type ParamsOf<P extends ProtocolSpec, M extends MethodNameOf<P>> = z.input<P['methods'][M]['params']>;
export type ResultOf<P extends ProtocolSpec, M extends MethodNameOf<P>> = z.output<P['methods'][M]['result']>;
export type EventDataOf<P extends ProtocolSpec, E extends EventNameOf<P>> = z.output<P['events'][E]>;
