/**
 * Two repairs to werift's DTLS handshake (werift 0.25.2), for paths whose round trip is longer
 * than its first retransmission timer (500 ms): two TURN-over-TLS relays on a loaded machine, or
 * a far-away relay. Without them, such a handshake fails on one side while the other waits, and
 * the connection ends at `channel` ("the secure channel (DTLS) could not be set up"): the lab
 * matrix's TLS row did so when the whole file ran.
 *
 * What happens: the DTLS client (the answering side) sends its ClientHello and, hearing nothing
 * within 500 ms, sends it again. The server answers each copy with a HelloVerifyRequest (RFC 6347
 * lets it: that answer is stateless). The client answers the first with flight 3 (the ClientHello
 * with the cookie), and the second copy then makes werift's flight 3 run again, which throws (an
 * Error with no message) once a flight 3 is under way: the client's DTLS transport goes `failed`.
 * Had the client already reached flight 5, that second run would instead have cleared its
 * handshake cache. The mirror case on the server: a retransmitted cookie-less ClientHello that
 * arrives after the one with the cookie (a path that reorders) makes werift answer it again, which
 * draws a new key pair and random and moves the handshake back to flight 2, so the flight 4 the
 * client already has no longer matches (the server then gives up after its retransmissions).
 *
 * The repairs, each one condition in front of werift's own step:
 * - client: a HelloVerifyRequest once flight 3 is under way is a copy; it is dropped (flight 3 is
 *   retransmitted by its own timer, as RFC 6347 4.2.4 has it);
 * - server: a ClientHello without a cookie once flight 4 is under way is a stale copy; dropped.
 *
 * They patch werift's modules (Flight3's prototype, flight2's export), so they apply to every
 * werift handshake of the process, once; werift is loaded here only for this engine. A werift
 * release that moves these files is told apart: the repair says it found nothing to patch, and
 * werift-dtls.test.ts (a handshake over a slow, reordering link) says whether it is still needed.
 */
import { createRequire } from 'node:module';

/** What the repair reads of werift's client flight 3 module. */
interface Flight3Module {
  Flight3?: { prototype: { exec?: (this: FlightThis, ...args: unknown[]) => Promise<void> } };
}
/** What the repair reads of werift's server flight 2 module. */
interface Flight2Module {
  flight2?: (udp: unknown, dtls: DtlsContext, ...rest: unknown[]) => (clientHello: unknown) => unknown;
}
interface DtlsContext {
  /** The flight this side last sent (1 to 6, or 7 once connected). */
  flight: number;
}
interface FlightThis {
  dtls: DtlsContext;
}

/** Paths from werift's main (lib/webrtc/src/index.js) to the two flights. */
const CLIENT_FLIGHT3 = '../../dtls/src/flight/client/flight3';
const SERVER_FLIGHT2 = '../../dtls/src/flight/server/flight2';
const REPAIRED = Symbol.for('whatnext.werift-dtls-repaired');

export type WeriftDtlsRepair = 'repaired' | 'already repaired' | 'not found';

/** Apply both repairs to the werift that `weriftMain` (the resolved path of its main module)
 * belongs to. Idempotent; says what it did. */
export function repairWeriftDtls(weriftMain: string): WeriftDtlsRepair {
  const fromWerift = createRequire(weriftMain);
  let client: Flight3Module;
  let server: Flight2Module;
  try {
    client = fromWerift(CLIENT_FLIGHT3) as Flight3Module;
    server = fromWerift(SERVER_FLIGHT2) as Flight2Module;
  } catch {
    return 'not found';
  }
  const proto = client.Flight3?.prototype;
  const flight2 = server.flight2;
  if (!proto || typeof proto.exec !== 'function' || typeof flight2 !== 'function') return 'not found';
  const marked = proto as { [REPAIRED]?: true };
  if (marked[REPAIRED]) return 'already repaired';

  const exec = proto.exec;
  proto.exec = function (this: FlightThis, ...args: unknown[]) {
    // A copy of the HelloVerifyRequest, answering a retransmitted ClientHello.
    if (this.dtls.flight >= 3) return Promise.resolve();
    return exec.apply(this, args);
  };
  server.flight2 = (udp, dtls, ...rest) => {
    const answer = flight2(udp, dtls, ...rest);
    // A stale cookie-less ClientHello, the cookie exchange being over.
    return (clientHello) => (dtls.flight >= 4 ? undefined : answer(clientHello));
  };
  marked[REPAIRED] = true;
  return 'repaired';
}
