/** Which explanation a failure to find a path gets, from what the pipe saw of ICE. */
import { describe, expect, it } from 'vitest';
import { explainNoPath, type IceCandidateError, type IceFindings } from './no-path';

const STUN = { urls: 'stun:stun.example.org:3478' };
const TURN = { urls: 'turn:turn.example.org:3478', username: 'u', credential: 'c' };
const WHERE = 'Settings → Plugins → webrtc (or plugins.config.ts)';

const findings = (iceServers: RTCIceServer[], gathered: string[] = ['host'], errors: IceCandidateError[] = []): IceFindings => ({
  iceServers,
  gathered: new Set(gathered),
  errors,
});
/** What @roamhq/wrtc reports for every interface of an address family that cannot reach a server. */
const incompatible = (url: string): IceCandidateError => ({ url, errorCode: 701, errorText: 'STUN server address is incompatible.' });

describe('explainNoPath', () => {
  it('with no STUN or TURN server: says so, and that a relay is needed beyond one network', () => {
    expect(explainNoPath(findings([]))).toEqual({
      cause: 'no-servers',
      message:
        'no network path to the remote was found, and no STUN or TURN server is configured: beyond one network, peers need a STUN server to learn ' +
        `their public addresses, and a relay (TURN) server where a NAT or firewall blocks a direct path. Add them in ${WHERE}.`,
    });
  });

  it('with STUN only: a relay (TURN) server is needed, and where to add one', () => {
    expect(explainNoPath(findings([STUN], ['host', 'srflx'], [incompatible('stun:stun.example.org:3478')]))).toEqual({
      cause: 'no-relay',
      message: `no direct path to the remote was found: a NAT or firewall between you blocks it, so a relay (TURN) server is needed. Add a TURN server in ${WHERE}.`,
    });
  });

  it('with STUN only and no public address from it: says that too, with the reason the engine gave', () => {
    const { cause, message } = explainNoPath(
      findings([STUN], ['host'], [{ url: 'stun:stun.example.org:3478', errorCode: 701, errorText: 'STUN binding request timed out.' }]),
    );
    expect(cause).toBe('no-relay');
    expect(message).toBe(
      'no direct path to the remote was found (and the STUN server gave this side no public address: stun:stun.example.org:3478 could not be reached (701)): ' +
        `a NAT or firewall between you blocks it, so a relay (TURN) server is needed. Add a TURN server in ${WHERE}.`,
    );
  });

  it('with a TURN server that refused the credentials: names the server and the refusal', () => {
    const refused = { url: 'turn:turn.example.org:3478?transport=udp', errorCode: 401, errorText: 'Unauthorized' };
    const { cause, message } = explainNoPath(findings([STUN, TURN], ['host', 'srflx'], [incompatible('stun:turn.example.org:3478'), refused, refused]));
    expect(cause).toBe('relay-unavailable');
    expect(message).toBe(
      'no path to the remote was found, and the relay (TURN) server gave this side no relay address: turn:turn.example.org:3478 refused the username or credential (401). ' +
        'If this network blocks UDP, the relay must be reached over TCP or TLS (turn:host:3478?transport=tcp, turns:host:5349). ' +
        `Check the TURN server in ${WHERE}.`,
    );
  });

  it('with a TURN server that gave no relay address and no reason yet (unreachable: the engine says so only ~40 s in)', () => {
    expect(explainNoPath(findings([TURN], ['host'])).message).toBe(
      'no path to the remote was found, and the relay (TURN) server gave this side no relay address: it could not be reached, or it refused us. ' +
        'If this network blocks UDP, the relay must be reached over TCP or TLS (turn:host:3478?transport=tcp, turns:host:5349). ' +
        `Check the TURN server in ${WHERE}.`,
    );
    // Over TCP or TLS already: no advice about UDP.
    const overTcp = { ...TURN, urls: ['turn:turn.example.org:3478?transport=tcp', 'turns:turn.example.org:5349'] };
    const { cause, message } = explainNoPath(
      findings([overTcp], ['host'], [{ url: 'turns:turn.example.org:5349?transport=tcp', errorCode: 701, errorText: 'TURN allocate request timed out.' }]),
    );
    expect(cause).toBe('relay-unavailable');
    expect(message).toBe(
      'no path to the remote was found, and the relay (TURN) server gave this side no relay address: turns:turn.example.org:5349?transport=tcp could not be reached (701). ' +
        `Check the TURN server in ${WHERE}.`,
    );
  });

  it('with a relay address and still no path: the remote could not reach it, and needs a relay it can reach', () => {
    const { cause, message } = explainNoPath(findings([STUN, TURN], ['host', 'srflx', 'relay']));
    expect(cause).toBe('relay-unreached');
    expect(message).toBe(
      'no path to the remote was found, not even through the relay (TURN) server: this side has a relay address, but the remote could not reach it. ' +
        `The remote's network may block it too: the remote needs a relay it can reach (over TCP or TLS where UDP is blocked), in its own ${WHERE}.`,
    );
  });

  it('names every cause with a relay (TURN), as the network lab expects of an attempt that found no path', () => {
    for (const case_ of [findings([]), findings([STUN]), findings([TURN]), findings([TURN], ['relay'])]) {
      expect(explainNoPath(case_).message).toMatch(/relay \(TURN\)/);
    }
  });
});
