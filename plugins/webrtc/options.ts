/** Options of the webrtc plugin (validated by the host at start, and again on every change). */
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { ENGINE_NAMES, isWebRtcEngine } from './engine';
import type { WebRtcEngine } from './service';

const SCHEMES = ['stun', 'stuns', 'turn', 'turns'] as const;
const TRANSPORTS = ['udp', 'tcp'] as const;
/** A host name's characters (RFC 3986 reg-name, without percent-encoding), an IPv4 address's too. */
const HOST_NAME = /^[a-z0-9._~-]+$/i;
const IPV6 = /^[0-9a-f:.]+$/i;
const DIGITS = /^\d+$/;

/**
 * What is wrong with a STUN or TURN URL (RFC 7064, RFC 7065), or undefined if nothing is:
 * `stun:host[:port]`, `stuns:host[:port]`, `turn:host[:port][?transport=udp|tcp]`, `turns:` the
 * same; the host a name, an IPv4 address or an IPv6 address in brackets. Read by hand, one
 * character class at a time: nothing here backtracks.
 */
export function iceUrlProblem(url: string): string | undefined {
  const colon = url.indexOf(':');
  const scheme = colon < 0 ? '' : url.slice(0, colon);
  // The engine (libwebrtc) reads the scheme in lower case only.
  if ((SCHEMES as readonly string[]).includes(scheme.toLowerCase()) && scheme !== scheme.toLowerCase())
    return `write the scheme in lower case: ${scheme.toLowerCase()}:`;
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    const shown = colon < 0 ? 'no scheme' : `the scheme "${url.slice(0, Math.min(colon, 16))}:"`;
    return `an ICE server URL starts with stun:, stuns:, turn: or turns: (this one has ${shown})`;
  }
  let rest = url.slice(colon + 1);
  if (rest.startsWith('//')) return `write ${scheme}:host:port, without "//" after the scheme`;
  const question = rest.indexOf('?');
  if (question >= 0) {
    const query = rest.slice(question + 1);
    rest = rest.slice(0, question);
    if (scheme === 'stun' || scheme === 'stuns') return `a ${scheme}: URL takes no "?" part (only turn: and turns: take ?transport=udp or ?transport=tcp)`;
    const transport = query.startsWith('transport=') ? query.slice('transport='.length).toLowerCase() : undefined;
    if (transport === undefined || !(TRANSPORTS as readonly string[]).includes(transport))
      return 'the only "?" part a TURN URL takes is ?transport=udp or ?transport=tcp';
  }
  let host = rest;
  let port: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return 'an IPv6 address in brackets is missing its "]"';
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return 'after an IPv6 address in brackets comes nothing or ":port"';
    if (after !== '') port = after.slice(1);
    if (!IPV6.test(host)) return `"${host.slice(0, 64)}" is not an IPv6 address`;
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) return 'an IPv6 address goes in brackets: turn:[2001:db8::1]:3478';
    host = parts[0]!;
    port = parts[1];
    if (host !== '' && !HOST_NAME.test(host)) return `"${host.slice(0, 64)}" is not a host name or an IP address`;
  }
  if (host === '') return `the URL names no host: ${scheme}:host:port`;
  if (port !== undefined && !(DIGITS.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return `"${port.slice(0, 16)}" is not a port (in ${url.slice(0, 80)}): a port is a number from 1 to 65535`;
  }
  return undefined;
}

/** A STUN or TURN URL as RTCIceServer takes it. (Not `abort` on the length: a union would then
 * say only "Invalid input".) */
const IceUrl = z
  .string()
  .max(512, 'an ICE server URL is at most 512 characters')
  .superRefine((url, ctx) => {
    const problem = iceUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Whether a URL is a TURN server's (a relay). */
export const isTurnUrl = (url: string) => url.startsWith('turn:') || url.startsWith('turns:');

export const IceServer = z
  .object({
    urls: z
      .union([IceUrl, z.array(IceUrl).min(1).max(16)])
      .meta({ title: 'URL(s)', description: 'One or more, separated by spaces.', examples: ['stun:stun.example.org:3478'] }),
    username: z.string().max(512).optional().meta({ title: 'Username' }),
    credential: z.string().max(512).optional().meta({ title: 'Credential', format: 'password' }),
  })
  .strict()
  .superRefine((server, ctx) => {
    // The engine refuses a TURN server without both (and would fail every connection for it).
    if (!(typeof server.urls === 'string' ? [server.urls] : server.urls).some(isTurnUrl)) return;
    for (const field of ['username', 'credential'] as const) {
      if (!server[field]) ctx.addIssue({ code: 'custom', path: [field], message: `a TURN server needs a ${field}` });
    }
  })
  .meta({ title: 'Server' });
export type IceServer = z.infer<typeof IceServer>;

/** The largest `turnTlsCa` taken: a chain of a few certificates fits many times over. */
export const TURN_TLS_CA_MAX = 64 * 1024;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** What is wrong with `pem` as certificates to trust, or undefined if nothing is: one or more
 * PEM `CERTIFICATE` blocks, each one a certificate Node can read, and nothing else but space. */
export function turnTlsCaProblem(pem: string): string | undefined {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'turnTlsCa is PEM text with at least one -----BEGIN CERTIFICATE----- block';
  if (pem.replace(PEM_BLOCK, '').trim() !== '') return 'turnTlsCa holds only PEM CERTIFICATE blocks (no key, no other text)';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `certificate ${i + 1} of turnTlsCa cannot be read: ${(error as Error).message.slice(0, 120)}`;
    }
  }
  return undefined;
}

export const WebRtcOptions = z
  .object({
    iceServers: z.array(IceServer).max(16).default([]).meta({
      title: 'ICE servers',
      description:
        'STUN servers tell you your public address; TURN servers relay a connection when no direct path exists (a TURN server needs a username and credential). A change applies to the next connection; open ones keep their path.',
    }),
    engine: z
      .union([z.enum(ENGINE_NAMES), z.custom<WebRtcEngine>(isWebRtcEngine)], {
        error: `engine must be ${ENGINE_NAMES.map((n) => `'${n}'`).join(' or ')}, or an object with RTCPeerConnection, RTCSessionDescription and RTCIceCandidate constructors (the wrtc shape)`,
      })
      .default('wrtc')
      .describe("The Node WebRTC engine: 'wrtc' (@roamhq/wrtc, the default) or 'werift', loaded on first use, or an engine object."),
    turnTlsCa: z
      .string()
      .max(TURN_TLS_CA_MAX, `turnTlsCa is at most ${TURN_TLS_CA_MAX} characters`)
      .superRefine((pem, ctx) => {
        const problem = turnTlsCaProblem(pem);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional()
      .describe("PEM certificate(s) to trust for turns: servers (a TURN server with a certificate of your own). Needs engine 'werift'."),
  })
  .strict()
  .superRefine((options, ctx) => {
    // @roamhq/wrtc checks TURN certificates against the roots compiled into it only: a CA given
    // to it would be ignored silently, and every turns: server of one's own refused.
    if (options.turnTlsCa !== undefined && options.engine !== 'werift')
      ctx.addIssue({
        code: 'custom',
        path: ['turnTlsCa'],
        message: "turnTlsCa needs engine: 'werift' (@roamhq/wrtc trusts only the certificate roots compiled into it, and takes no CA)",
      });
  });

export type WebRtcOptionsInput = z.input<typeof WebRtcOptions>;
export type WebRtcOptions = z.output<typeof WebRtcOptions>;
