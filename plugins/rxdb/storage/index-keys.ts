/**
 * Index keys: RxDB's index strings (custom-index.ts), shorter and in the same order.
 *
 * RxDB makes an index string fixed-width so that plain string order is index order: every
 * string field is padded with spaces to its schema's maxLength. A track's (playlist, position,
 * id) index is then over 300 characters, almost all padding, stored once per track. Here each
 * string field's padding is cut off and an end mark put in its place, a character that sorts
 * below a space and above the `\x00` RxDB pads lower bounds with: two values still compare as
 * their padded forms do, and the next field starts where the mark ends. Number and boolean
 * fields are fixed-width already and are kept as they are. Query bounds go through the same
 * function, so a range of keys is the range of RxDB's strings.
 *
 * One difference: RxDB compares a string field character by character against its padding, so
 * a value whose spaces are followed by characters below U+0020 (control characters) sorts
 * below the value without them; here it sorts above. WhatNext's indexed fields are ids and
 * position keys, which hold no control characters.
 */
import { getIndexableStringMonad, getSchemaByObjectPath, getStringLengthOfIndexNumber, type RxDocumentData, type RxJsonSchema } from 'rxdb';

const END = '\x1f';
/** lmdb-js's largest key. */
const MAX_KEY_BYTES = 1978;
const SPACE = 32;

interface Segment {
  width: number;
  text: boolean;
}

export interface IndexKeys<T> {
  /** The key of a document in this index. */
  of(doc: RxDocumentData<T>): string;
  /** The key of one of RxDB's index strings of this index (a query bound). */
  compact(indexString: string): string;
}

/** `prefixBytes`: what comes before the index key in an LMDB key. */
export function indexKeys<T>(schema: RxJsonSchema<RxDocumentData<T>>, fields: string[], prefixBytes = 0): IndexKeys<T> {
  const segments = fields.map((field): Segment => {
    const part = getSchemaByObjectPath(schema, field);
    if (part.type === 'string') return { width: part.maxLength!, text: true };
    if (part.type === 'boolean') return { width: 1, text: false };
    const lengths = getStringLengthOfIndexNumber(part);
    return { width: lengths.nonDecimals + lengths.decimals, text: false };
  });
  const compact = (indexString: string): string => {
    let key = '';
    let at = 0;
    for (const { width, text } of segments) {
      const part = indexString.slice(at, at + width);
      at += width;
      if (!text) {
        key += part;
        continue;
      }
      let end = part.length;
      while (end > 0 && part.charCodeAt(end - 1) === SPACE) end--;
      key += part.slice(0, end) + END;
    }
    return key;
  };
  const padded = getIndexableStringMonad(schema, fields);
  // An upper bound pads each string field with U+FFFF, three bytes in UTF-8 where LMDB keys end
  // at MAX_KEY_BYTES: refused here rather than by the first query that reaches it.
  const widest = segments.reduce((bytes, { width, text }) => bytes + (text ? width * 3 + 1 : width), 0);
  if (widest + prefixBytes > MAX_KEY_BYTES)
    throw new Error(
      `the index ${fields.join(', ')} can make keys of ${widest + prefixBytes} bytes; LMDB keys hold at most ${MAX_KEY_BYTES} (shorten its string fields' maxLength)`,
    );
  return { of: (doc) => compact(padded(doc)), compact };
}
