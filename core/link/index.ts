/** The `whtnxt://` link codec: untrusted links in, validated `ParsedLink`s out, and back. */
export { parseLink, encodeLink, type ParseLinkOptions, type EncodeLinkOptions } from './codec';
export {
  LINK_MAX_LENGTH,
  LINK_MAX_PARAMS,
  LINK_VERSION,
  DEFAULT_LINK_SCHEMES,
  RESERVED_LINK_KEYS,
  LinkErrorReason,
  ParsedLink,
  LinkMethod,
  LinkToken,
  LinkName,
  LinkParamKey,
  LinkParamValue,
} from './schema';
