/**
 * The shape of a parsed `whtnxt://connect?...` link. `ParsedLink` is the single source of
 * truth: `parseLink` returns what it accepts and `encodeLink` refuses what it rejects.
 */
import { z } from 'zod';
import { DisplayName } from '../contracts/peer';

/** Links longer than this are refused before any parsing work (they are untrusted input). */
export const LINK_MAX_LENGTH = 8192;
/** Method parameters beyond the reserved keys; bounds what a plugin is asked to validate. */
export const LINK_MAX_PARAMS = 32;
export const LINK_VERSION = 1;
export const LINK_ACTION = 'connect';
export const DEFAULT_LINK_SCHEMES: readonly string[] = Object.freeze(['whtnxt']);
/** Keys the codec owns; everything else in the query is a method parameter. */
export const RESERVED_LINK_KEYS = ['v', 'via', 'n', 't'] as const;

/** Stable machine tags carried by `LinkError.reason`. */
export const LinkErrorReason = z.enum([
  'too-long',
  'not-a-url',
  'wrong-scheme',
  'wrong-action',
  'unexpected-part', // credentials, port or fragment
  'missing-version',
  'bad-version', // `v` present but not a plain positive integer
  'unsupported-version', // a well-formed version this build does not understand
  'missing-method',
  'bad-method',
  'bad-name',
  'bad-token',
  'bad-param',
  'duplicate-param',
  'too-many-params',
]);
export type LinkErrorReason = z.infer<typeof LinkErrorReason>;

// URLSearchParams serializes lone surrogates as U+FFFD, so a string holding one could not
// survive a round trip; refuse it instead of silently changing it.
const WELL_FORMED = /^\P{Cs}*$/u;
const NOT_WELL_FORMED = 'it contains a broken unicode character (lone surrogate)';

export const LinkMethod = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a method name is 1 to 32 lowercase letters, digits or dashes, starting with a letter');

export const LinkToken = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'a token is 8 to 64 letters, digits, "_" or "-"');

export const LinkName = DisplayName.regex(WELL_FORMED, NOT_WELL_FORMED);

// The negative lookahead keeps reserved keys out of `params`, so encoding can never emit a
// duplicate `v`/`via`/`n`/`t`.
export const LinkParamKey = z
  .string()
  .regex(
    /^(?!(?:v|via|n|t)$)[a-z][a-z0-9_]{0,31}$/,
    'a parameter name is 1 to 32 lowercase letters, digits or "_", starting with a letter, ' + 'and is not one of v, via, n, t',
  );

export const LinkParamValue = z.string().regex(WELL_FORMED, NOT_WELL_FORMED);

export const LinkParams = z.record(LinkParamKey, LinkParamValue).refine((params) => Object.keys(params).length <= LINK_MAX_PARAMS, {
  message: `a link carries at most ${LINK_MAX_PARAMS} method parameters`,
  params: { reason: 'too-many-params' satisfies LinkErrorReason },
});

export const ParsedLink = z.object({
  version: z.literal(LINK_VERSION),
  via: LinkMethod,
  name: LinkName.optional(),
  token: LinkToken.optional(),
  /** Method-specific; validated later by the method's plugin. */
  params: LinkParams,
});
export type ParsedLink = z.infer<typeof ParsedLink>;
