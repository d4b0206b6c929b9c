/**
 * Why ICE found no path to the remote, in words that say what is missing and where to set it.
 * One explanation for every WebRTC plugin: the pipe builds it (`DataChannelPipe.noPath()`) from
 * what it saw of the peer connection (`follow`): the ICE servers it ran with, the kinds of
 * candidates this side gathered, and the engine's `icecandidateerror` events.
 *
 * What the engine tells, and when (@roamhq/wrtc, measured on loopback): a TURN server that
 * refuses the credentials answers at once (401, before gathering ends); one that does not answer
 * over UDP is reported (701) only when its allocation times out, about 40 s in, long after ICE
 * gave up (about 15 s); one that refuses a TCP connection is not reported at all. So whether
 * this side got a relay address from its TURN server is the sure sign, and the errors say why
 * when they came in time. Every interface whose address family cannot reach a server reports
 * 701 "address is incompatible" as gathering starts: that is noise, not a reason.
 */
import { isTurnUrl } from './options';

/** An `icecandidateerror` event, as the pipe keeps it. */
export interface IceCandidateError {
  url: string;
  errorCode: number;
  errorText: string;
}

export interface IceFindings {
  /** The ICE servers the peer connection ran with. */
  iceServers: readonly RTCIceServer[];
  /** Candidate types this side gathered: host, srflx, prflx, relay. */
  gathered: ReadonlySet<string>;
  /** The engine's `icecandidateerror` events, in order. */
  errors: readonly IceCandidateError[];
}

/**
 * - `no-servers`: no STUN or TURN server at all (fine on one machine or a LAN, not beyond).
 * - `no-relay`: STUN only; a NAT or firewall blocks every direct path: a relay is needed.
 * - `relay-unavailable`: a TURN server is configured, and this side got no relay address from
 *   it (unreachable, or it refused the credentials).
 * - `relay-unreached`: this side has a relay address, and still nothing got through: the
 *   remote could not reach it (its network blocks it too, and it has no relay of its own).
 */
export type NoPathCause = 'no-servers' | 'no-relay' | 'relay-unavailable' | 'relay-unreached';

/** Where a person sets the ICE servers. */
export const ICE_SERVERS_SETTING = 'Settings → Plugins → webrtc (or plugins.config.ts)';

export function explainNoPath(findings: IceFindings): { cause: NoPathCause; message: string } {
  const urls = findings.iceServers.flatMap((server) => (typeof server.urls === 'string' ? [server.urls] : [...server.urls]));
  const turn = urls.filter(isTurnUrl);
  const errors = meaningful(findings.errors);
  if (urls.length === 0) {
    return {
      cause: 'no-servers',
      message:
        'no network path to the remote was found, and no STUN or TURN server is configured: beyond one network, peers need a STUN server to learn ' +
        `their public addresses, and a relay (TURN) server where a NAT or firewall blocks a direct path. Add them in ${ICE_SERVERS_SETTING}.`,
    };
  }
  if (turn.length === 0) {
    const stunless = findings.gathered.has('srflx') ? '' : ` (and the STUN server gave this side no public address${because(errors, urls)})`;
    return {
      cause: 'no-relay',
      message:
        `no direct path to the remote was found${stunless}: a NAT or firewall between you blocks it, so a relay (TURN) server is needed. ` +
        `Add a TURN server in ${ICE_SERVERS_SETTING}.`,
    };
  }
  if (!findings.gathered.has('relay')) {
    const overUdpOnly = turn.every((url) => url.startsWith('turn:') && !url.toLowerCase().endsWith('?transport=tcp'));
    const udp = overUdpOnly ? ' If this network blocks UDP, the relay must be reached over TCP or TLS (turn:host:3478?transport=tcp, turns:host:5349).' : '';
    return {
      cause: 'relay-unavailable',
      message:
        `no path to the remote was found, and the relay (TURN) server gave this side no relay address${because(errors, turn) || ': it could not be reached, or it refused us'}.` +
        `${udp} Check the TURN server in ${ICE_SERVERS_SETTING}.`,
    };
  }
  return {
    cause: 'relay-unreached',
    message:
      'no path to the remote was found, not even through the relay (TURN) server: this side has a relay address, but the remote could not reach it. ' +
      `The remote's network may block it too: the remote needs a relay it can reach (over TCP or TLS where UDP is blocked), in its own ${ICE_SERVERS_SETTING}.`,
  };
}

/** The errors that give a reason: not the 701s of interfaces that cannot reach a server's
 * address family, and each (url, code) once. */
function meaningful(errors: readonly IceCandidateError[]): IceCandidateError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.url} ${error.errorCode}`;
    if (/incompatible/i.test(error.errorText) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** ": turn:a refused the username or credential (401); ..." for the errors about `urls`' servers. */
function because(errors: readonly IceCandidateError[], urls: readonly string[]): string {
  const hosts = new Set(urls.map(hostOf));
  const reasons = errors.filter((error) => hosts.has(hostOf(error.url))).map((error) => `${shortUrl(error.url)} ${reason(error)} (${error.errorCode})`);
  return reasons.length ? `: ${[...new Set(reasons)].join('; ')}` : '';
}

function reason(error: IceCandidateError): string {
  switch (error.errorCode) {
    case 401:
    case 441:
      return 'refused the username or credential';
    case 403:
      return 'refused the request';
    case 486:
      return 'has no allocation left for this username';
    case 508:
      return 'is out of capacity';
    case 701:
      return 'could not be reached';
    default:
      return `answered "${error.errorText.slice(0, 80)}"`;
  }
}

/** The host a URL names (scheme, port and transport aside): the engine reports a TURN server's
 * own STUN check under a stun: URL, and may add the default port. */
function hostOf(url: string): string {
  const rest = url.slice(url.indexOf(':') + 1);
  const end = rest.startsWith('[') ? rest.indexOf(']') + 1 : rest.search(/[:?]/);
  return (end > 0 ? rest.slice(0, end) : rest).toLowerCase();
}

function shortUrl(url: string): string {
  return (url.toLowerCase().endsWith('?transport=udp') ? url.slice(0, -'?transport=udp'.length) : url).slice(0, 120);
}
