/**
 * The PeerJS method's link parameters. Core adds `v`, `via`, `n` (name) and `t` (token); the
 * method adds where the broker is and who to ask for there:
 *
 *   h   broker host (DNS name, IPv4, or [IPv6])     p   broker port (1-65535)
 *   pt  broker path (`/whatnext`)                    k   broker key
 *   s   `1` for wss://, `0` for ws://                id  the inviter's peer id (26 chars)
 *   hn  the inviter's handshake nonce (optional; lets the answerer prove itself ahead, in its
 *       offer: see core's `HandshakeAhead`)
 *
 * e.g. `whtnxt://connect?v=1&via=peerjs&n=Ada&t=…&h=127.0.0.1&p=9000&pt=%2Fwhatnext&k=peerjs&s=0&id=…`
 */
import type { z } from 'zod';
import { HandshakeNonce, LinkError, PeerId, type LinkTarget } from '@whatnext/core';
import { BrokerHost, BrokerKey, BrokerPath } from './options';
import type { BrokerAddress } from './broker-session';

export const METHOD = 'peerjs';

export interface PeerjsLinkParams extends BrokerAddress {
  id: PeerId;
  nonce?: string;
}

export const PARAM = { host: 'h', port: 'p', path: 'pt', key: 'k', secure: 's', id: 'id', nonce: 'hn' } as const;

const FIELD_NAMES: Record<keyof typeof PARAM, string> = {
  host: 'broker host',
  port: 'broker port',
  path: 'broker path',
  key: 'broker key',
  secure: 'secure flag',
  id: 'peer id',
  nonce: 'handshake nonce',
};

export function inviteParams(broker: BrokerAddress, id: PeerId, nonce?: string): Record<string, string> {
  return {
    [PARAM.host]: broker.host,
    [PARAM.port]: String(broker.port),
    [PARAM.path]: broker.path,
    [PARAM.key]: broker.key,
    [PARAM.secure]: broker.secure ? '1' : '0',
    [PARAM.id]: id,
    ...(nonce !== undefined && { [PARAM.nonce]: nonce }),
  };
}

/** Validate a link's (untrusted) parameters; throws `LinkError` with a reason a person can read. */
export function parsePeerjsLink(params: Record<string, string>): LinkTarget<PeerjsLinkParams> {
  const read = (field: keyof typeof PARAM): string => {
    const value = Object.hasOwn(params, PARAM[field]) ? params[PARAM[field]] : undefined;
    if (typeof value !== 'string' || value === '') {
      throw new LinkError('missing-param', `This PeerJS link has no ${FIELD_NAMES[field]} (${PARAM[field]}=); it may be cut off.`);
    }
    if (value.length > 256) throw bad(field, 'it is too long');
    return value;
  };
  const check = <T>(field: keyof typeof PARAM, schema: z.ZodType<T>, value: unknown): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw bad(field, result.error.issues[0]?.message ?? 'it is not valid');
    return result.data;
  };

  const host = check('host', BrokerHost, read('host'));
  const portText = read('port');
  if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) throw bad('port', 'a port is a number from 1 to 65535');
  const path = check('path', BrokerPath, read('path'));
  const key = check('key', BrokerKey, read('key'));
  const secureText = read('secure');
  if (secureText !== '0' && secureText !== '1') throw bad('secure', 'it is 1 (wss://) or 0 (ws://)');
  const id = check('id', PeerId, read('id'));
  const nonce = Object.hasOwn(params, PARAM.nonce) ? check('nonce', HandshakeNonce, read('nonce')) : undefined;

  const parsed: PeerjsLinkParams = { host, port: Number(portText), path, key, secure: secureText === '1', id, ...(nonce !== undefined && { nonce }) };
  return { method: METHOD, remote: { id }, params: parsed };
}

function bad(field: keyof typeof PARAM, detail: string): LinkError {
  return new LinkError('bad-param', `The ${FIELD_NAMES[field]} (${PARAM[field]}=) in this PeerJS link is not valid: ${detail}.`);
}
