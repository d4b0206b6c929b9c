/** The plugin's options and the broker-address pieces they share with links and the broker.
 * The engine and the ICE servers are the webrtc plugin's options. */
import { z } from 'zod';
import { pipeTuningOptions } from '@whatnext/core';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*\\.?$`);
const IPV6_LITERAL = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

/**
 * A host a `ws://`/`wss://` URL can name: a DNS name, an IPv4 address or a bracketed IPv6
 * address (`[::1]`), written the way URL parsing normalises it, so the host shown is the host
 * dialled (`2130706433` or `0x7f.1` would silently mean 127.0.0.1).
 */
export const BrokerHost = z
  .string()
  .max(253, { abort: true, message: 'a broker host is at most 253 characters' })
  .refine((host) => HOSTNAME.test(host) || IPV6_LITERAL.test(host), {
    message: 'a broker host is a host name, an IPv4 address or an IPv6 address in brackets ([::1])',
  })
  .refine(
    (host) => {
      try {
        return new URL(`ws://${host}/`).hostname === host.toLowerCase();
      } catch {
        return false;
      }
    },
    { message: 'the broker host is not written in its normal form (for example 127.0.0.1, [::1], broker.example.org)' },
  );

export const BrokerPort = z.number().int().min(1).max(65535);

/** Where the broker is mounted: `/` or slash-separated segments of URL-safe characters, no
 * `.`/`..` segments. Each segment but the last ends in its slash, so the pattern matches in one
 * pass (a segment that may or may not end in a slash backtracks exponentially); the length is
 * checked first and stops the parse. */
export const BrokerPath = z
  .string()
  .max(128, { abort: true, message: 'a broker path is at most 128 characters' })
  .regex(/^\/(?:[\w~-][\w.~-]*\/)*(?:[\w~-][\w.~-]*)?$/, 'a broker path starts with "/" and holds letters, digits, ".", "_", "~", "-" and "/"');

/** PeerJS puts the key into the socket URL unescaped, so it is held to URL-safe characters. */
export const BrokerKey = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a broker key is 1 to 64 letters, digits, "_" or "-"');

export { DEFAULT_LOW_WATER_MARK, DEFAULT_MAX_FRAME_SIZE } from '@whatnext/core';

export const PeerjsOptions = z
  .object({
    host: BrokerHost.default('127.0.0.1').describe('Broker host name or IP address'),
    port: BrokerPort.default(9000).describe('Broker port'),
    path: BrokerPath.default('/whatnext').describe('Path the broker is mounted at'),
    key: BrokerKey.default('peerjs').describe('Broker key (PeerServer "key" option)'),
    secure: z.boolean().default(false).describe('Reach the broker over TLS (wss://)'),
    listen: z
      .boolean()
      .default(true)
      .describe('Register on the broker at start so that peers who know our id can ask to connect (each request still needs approval)'),
    ...pipeTuningOptions,
  })
  .prefault({});
export type PeerjsOptions = z.output<typeof PeerjsOptions>;
