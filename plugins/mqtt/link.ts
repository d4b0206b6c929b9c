/**
 * The MQTT method's link parameters. Core adds `v`, `via`, `n` (name) and `t` (token); the
 * method adds where the broker is and whose inbox to write to:
 *
 *   u   broker URL (mqtt://, mqtts://, ws://, wss://; never credentials)
 *   tp  topic prefix (`whatnext/v1`)          id  the inviter's peer id (26 chars)
 *   hn  the inviter's handshake nonce (optional; lets the answerer prove itself ahead)
 *
 * e.g. `whtnxt://connect?v=1&via=mqtt&n=Ada&t=…&u=mqtt%3A%2F%2F127.0.0.1%3A1883&tp=whatnext%2Fv1&id=…`
 */
import type { z } from 'zod';
import { HandshakeNonce, LinkError, PeerId, type LinkTarget } from '@whatnext/core';
import { BrokerUrl, TopicPrefix } from './options';

export const METHOD = 'mqtt';

export interface MqttLinkParams {
  url: string;
  topicPrefix: string;
  id: PeerId;
  nonce?: string;
}

export const PARAM = { url: 'u', topicPrefix: 'tp', id: 'id', nonce: 'hn' } as const;

const FIELD_NAMES: Record<keyof typeof PARAM, string> = { url: 'broker URL', topicPrefix: 'topic prefix', id: 'peer id', nonce: 'handshake nonce' };

export function inviteParams(url: string, topicPrefix: string, id: PeerId, nonce?: string): Record<string, string> {
  return { [PARAM.url]: url, [PARAM.topicPrefix]: topicPrefix, [PARAM.id]: id, ...(nonce !== undefined && { [PARAM.nonce]: nonce }) };
}

/** Validate a link's (untrusted) parameters; throws `LinkError` with a reason a person can read. */
export function parseMqttLink(params: Record<string, string>): LinkTarget<MqttLinkParams> {
  const known = new Set<string>(Object.values(PARAM));
  const extra = Object.keys(params).find((key) => !known.has(key));
  if (extra !== undefined) throw new LinkError('bad-param', `An MQTT link has no parameter "${extra.slice(0, 32)}".`);
  const read = (field: keyof typeof PARAM): string => {
    const value = Object.hasOwn(params, PARAM[field]) ? params[PARAM[field]] : undefined;
    if (typeof value !== 'string' || value === '') {
      throw new LinkError('missing-param', `This MQTT link has no ${FIELD_NAMES[field]} (${PARAM[field]}=); it may be cut off.`);
    }
    if (value.length > 512) throw bad(field, 'it is too long');
    return value;
  };
  const check = <T>(field: keyof typeof PARAM, schema: z.ZodType<T>, value: unknown): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw bad(field, result.error.issues[0]?.message ?? 'it is not valid');
    return result.data;
  };
  const url = check('url', BrokerUrl, read('url'));
  const topicPrefix = check('topicPrefix', TopicPrefix, read('topicPrefix'));
  const id = check('id', PeerId, read('id'));
  const nonce = Object.hasOwn(params, PARAM.nonce) ? check('nonce', HandshakeNonce, read('nonce')) : undefined;
  return { method: METHOD, remote: { id }, params: { url, topicPrefix, id, ...(nonce !== undefined && { nonce }) } };
}

function bad(field: keyof typeof PARAM, detail: string): LinkError {
  return new LinkError('bad-param', `The ${FIELD_NAMES[field]} (${PARAM[field]}=) in this MQTT link is not valid: ${detail}.`);
}
