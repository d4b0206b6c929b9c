/**
 * The `whtnxt://connect?v=1&via=<method>&n=<name>&t=<token>&<method params...>` codec.
 *
 * Links are untrusted input: the length is bounded before any parsing work, the URL is parsed
 * with `new URL`, and the result is validated with the `ParsedLink` zod schema. Every refusal
 * is a `LinkError` with a stable `reason` and a message meant for a person. Parsing never
 * connects anywhere; the method's plugin validates `params` later.
 *
 * Accepted spellings of the action (all unambiguous, and OS handlers or chat apps produce
 * them): `whtnxt://connect?...`, `whtnxt://connect/?...` (trailing slash) and the opaque
 * `whtnxt:connect?...`. Scheme and action are case-insensitive. Anything else in the path,
 * credentials, a port or a fragment is refused. `encodeLink` always emits the first form.
 */
import type { z } from 'zod';
import { LinkError } from '../errors';
import { DEFAULT_LINK_SCHEMES, LINK_ACTION, LINK_MAX_LENGTH, LINK_MAX_PARAMS, LINK_VERSION, LinkParamKey, ParsedLink, type LinkErrorReason } from './schema';

export interface ParseLinkOptions {
  /** Accepted schemes without `:`; defaults to `['whtnxt']`. Development adds `whtnxt-dev`. */
  schemes?: readonly string[];
}

export interface EncodeLinkOptions {
  /** Scheme without `:`; defaults to `whtnxt`. */
  scheme?: string;
}

export function parseLink(input: string, options: ParseLinkOptions = {}): ParsedLink {
  // Callers across a process boundary may hand over anything.
  if (typeof input !== 'string') fail('not-a-url', 'This is not a link.');
  if (input.length > LINK_MAX_LENGTH) {
    fail('too-long', `This link is ${input.length} characters long; links are limited to ${LINK_MAX_LENGTH}.`);
  }

  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new LinkError('not-a-url', 'This is not a valid link.', { cause });
  }

  const schemes = (options.schemes ?? DEFAULT_LINK_SCHEMES).map((s) => s.toLowerCase());
  const scheme = url.protocol.slice(0, -1); // already lowercased by URL
  if (!schemes.includes(scheme)) {
    fail('wrong-scheme', `This is a ${quote(scheme)} link, not a WhatNext link (${schemes.map((s) => `${s}://`).join(' or ')}).`);
  }

  // `url.hash` is '' for a bare trailing '#', so look at the input too; a '#' anywhere after
  // the scheme starts the fragment.
  if (url.username || url.password || url.port || url.hash || input.includes('#')) {
    fail('unexpected-part', 'This link has parts WhatNext links never have (a user name, password, port or "#").');
  }

  // With a host, the path is '' or starts with '/'; without one (opaque form) the path is all
  // there is. So this accepts exactly the three spellings documented above.
  const target = url.hostname + url.pathname;
  if (target.toLowerCase() !== LINK_ACTION && target.toLowerCase() !== `${LINK_ACTION}/`) {
    fail('wrong-action', `This link asks WhatNext to do ${quote(target)}; the only supported action is "${LINK_ACTION}".`);
  }

  let version: string | undefined;
  let via: string | undefined;
  let name: string | undefined;
  let token: string | undefined;
  const params: Record<string, string> = {};
  let paramCount = 0;
  const seen = new Set<string>();
  // URLSearchParams percent-decodes (and turns '+' into a space); it never throws.
  for (const [key, value] of url.searchParams) {
    // A repeated key would make the link mean different things to different readers.
    if (seen.has(key)) fail('duplicate-param', `This link sets ${quote(key)} more than once.`);
    seen.add(key);
    if (key === 'v') version = value;
    else if (key === 'via') via = value;
    else if (key === 'n') name = value;
    else if (key === 't') token = value;
    else {
      // Checked before assigning: a key like `__proto__` must be refused, not absorbed.
      const checked = LinkParamKey.safeParse(key);
      if (!checked.success) {
        fail('bad-param', `This link has a parameter named ${quote(key)}; ${checked.error.issues[0]?.message}.`);
      }
      if (++paramCount > LINK_MAX_PARAMS) {
        fail('too-many-params', `This link has more than ${LINK_MAX_PARAMS} method parameters; that is the limit.`);
      }
      params[key] = value;
    }
  }

  if (version === undefined) {
    fail('missing-version', 'This link has no format version (v=); it may be cut off.');
  }
  if (!/^[1-9][0-9]{0,8}$/.test(version)) {
    fail('bad-version', `This link's format version ${quote(version)} is not a version number.`);
  }
  if (Number(version) !== LINK_VERSION) {
    fail(
      'unsupported-version',
      `This link uses format version ${version}; this WhatNext understands version ${LINK_VERSION}. ` + 'A newer WhatNext may open it.',
    );
  }
  if (!via) fail('missing-method', 'This link does not say how to connect (via= is missing).');

  return validate({
    version: LINK_VERSION,
    via,
    ...(name !== undefined && { name }),
    ...(token !== undefined && { token }),
    params,
  });
}

/** Canonical form: `v`, `via`, `n`, `t`, then method params in insertion order. */
export function encodeLink(link: ParsedLink, options: EncodeLinkOptions = {}): string {
  const scheme = options.scheme ?? 'whtnxt';
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
    fail('wrong-scheme', `${quote(scheme)} is not a valid link scheme.`);
  }
  const valid = validate(link);
  const query = new URLSearchParams();
  query.set('v', String(valid.version));
  query.set('via', valid.via);
  if (valid.name !== undefined) query.set('n', valid.name);
  if (valid.token !== undefined) query.set('t', valid.token);
  // Keys start with a letter, so none is integer-like and Object.entries keeps insertion order.
  for (const [key, value] of Object.entries(valid.params)) query.append(key, value);

  const out = `${scheme}://${LINK_ACTION}?${query}`;
  if (out.length > LINK_MAX_LENGTH) {
    fail('too-long', `This link would be ${out.length} characters long; links are limited to ${LINK_MAX_LENGTH}.`);
  }
  return out;
}

function validate(raw: unknown): ParsedLink {
  const result = ParsedLink.safeParse(raw);
  if (result.success) return result.data;
  // Report the first problem only: one clear reason beats a list.
  throw issueToError(result.error.issues[0]!);
}

function issueToError(issue: z.core.$ZodIssue): LinkError {
  const [field, key] = issue.path;
  switch (field) {
    case 'version':
      return new LinkError('unsupported-version', `This link's format version is not supported; this WhatNext understands version ${LINK_VERSION}.`);
    case 'via':
      return issue.code === 'invalid_type' && issue.input === undefined
        ? new LinkError('missing-method', 'This link does not say how to connect (via= is missing).')
        : new LinkError('bad-method', `The connection method in this link is not valid: ${issue.message}.`);
    case 'name':
      return new LinkError('bad-name', `The name in this link is not valid: ${issue.message}.`);
    case 'token':
      return new LinkError('bad-token', `The token in this link is not valid: ${issue.message}.`);
    case 'params': {
      if (issue.code === 'custom' && issue.params?.['reason'] === 'too-many-params') {
        return new LinkError('too-many-params', `This link is not valid: ${issue.message}.`);
      }
      if (key === undefined) {
        return new LinkError('bad-param', `The parameters of this link are not valid: ${issue.message}.`);
      }
      const detail = issue.code === 'invalid_key' ? issue.issues[0]?.message : issue.message;
      return new LinkError('bad-param', `The parameter ${quote(String(key))} in this link is not valid: ${detail}.`);
    }
    default:
      return new LinkError('not-a-url', `This is not a link: ${issue.message}.`);
  }
}

function fail(reason: LinkErrorReason, message: string): never {
  throw new LinkError(reason, message);
}

/** Quote untrusted text for a message: short, and with control characters escaped. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
