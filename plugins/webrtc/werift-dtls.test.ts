/**
 * werift's DTLS handshake over a slow link, repaired (werift-dtls.ts): werift's own DtlsClient
 * and DtlsServer, as its peer connections make them, over an in-memory link that delivers each
 * datagram after a delay. The round trip (800 ms) is longer than werift's first retransmission
 * (500 ms), so the client sends its ClientHello twice and gets two HelloVerifyRequests: unrepaired,
 * its DTLS fails there (werift 0.25.2).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadWeriftEngine, WERIFT_MODULE } from './engine';
import { repairWeriftDtls } from './werift-dtls';

interface DtlsEnd {
  onConnect: { once(f: () => void): void };
  onError: { once(f: (error: unknown) => void): void };
  connect?(): Promise<void>;
  close(): void;
}
interface Werift {
  DtlsClient: new (options: Record<string, unknown>) => DtlsEnd & { connect(): Promise<void> };
  DtlsServer: new (options: Record<string, unknown>) => DtlsEnd;
  CipherContext: {
    createSelfSignedCertificateWithKey(
      signatureHash: { signature: number; hash: number },
      namedCurve: number,
    ): Promise<{ certPem: string; keyPem: string; signatureHash: unknown }>;
  };
}

/** werift's codes for ECDSA, SHA-256 and P-256, as its peer connections use them. */
const ECDSA = 3;
const SHA256 = 4;
const P256 = 23;
/** One way: a round trip of twice this is longer than werift's first retransmission, 500 ms. */
const ONE_WAY_MS = 400;
/** Bound on a handshake (werift gives up after about 33 s of retransmissions). */
const HANDSHAKE_MS = 30_000;

/** One end of the link: werift's DTLS sets `onData` and calls `send`. */
interface LinkEnd {
  onData: (data: Buffer) => void;
  send(data: Buffer): Promise<void>;
  close(): void;
}

/** Two ends whose datagrams arrive `delay(n)` ms after the n-th is sent (n from 1, per side). */
function slowLink(clientDelay: (n: number) => number, serverDelay: (n: number) => number) {
  const timers = new Set<NodeJS.Timeout>();
  const end = (delay: (n: number) => number, peer: () => LinkEnd): LinkEnd => {
    let sent = 0;
    return {
      onData: () => {},
      send: (data) => {
        const copy = Buffer.from(data);
        const timer = setTimeout(() => (timers.delete(timer), peer().onData(copy)), delay(++sent));
        timers.add(timer);
        return Promise.resolve();
      },
      close: () => {},
    };
  };
  const client: LinkEnd = end(clientDelay, () => server);
  const server: LinkEnd = end(serverDelay, () => client);
  return { client, server, close: () => timers.forEach(clearTimeout) };
}

/** A werift DTLS handshake over `link`: how each end ended. */
async function handshake(link: ReturnType<typeof slowLink>): Promise<{ client: string; server: string }> {
  const werift = createRequire(import.meta.url)(WERIFT_MODULE) as Werift;
  const { certPem, keyPem, signatureHash } = await werift.CipherContext.createSelfSignedCertificateWithKey({ signature: ECDSA, hash: SHA256 }, P256);
  const options = { cert: certPem, key: keyPem, signatureHash, extendedMasterSecret: true };
  // As werift's RTCDtlsTransport makes them: the server asks for the client's certificate.
  const server = new werift.DtlsServer({ ...options, transport: link.server, certificateRequest: true });
  const client = new werift.DtlsClient({ ...options, transport: link.client });
  const outcome = (end: DtlsEnd, start?: () => Promise<void>) =>
    new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('no end'), HANDSHAKE_MS);
      const settle = (how: string) => (clearTimeout(timer), resolve(how));
      end.onConnect.once(() => settle('connected'));
      end.onError.once((error) => settle(`failed: ${String((error as Error)?.message ?? error)}`));
      start?.().catch((error: unknown) => settle(`failed: ${String((error as Error)?.message ?? error)}`));
    });
  try {
    const [c, s] = await Promise.all([outcome(client, () => client.connect()), outcome(server)]);
    return { client: c, server: s };
  } finally {
    link.close();
    client.close();
    server.close();
  }
}

describe("werift's DTLS handshake over a slow link (repaired when the werift engine loads)", () => {
  it('is repaired once, by loading the werift engine', () => {
    loadWeriftEngine();
    expect(repairWeriftDtls(createRequire(import.meta.url).resolve(WERIFT_MODULE))).toBe('already repaired');
  });

  it('connects when the round trip is longer than the first retransmission (two HelloVerifyRequests reach the client)', async () => {
    loadWeriftEngine();
    const link = slowLink(
      () => ONE_WAY_MS,
      () => ONE_WAY_MS,
    );
    expect(await handshake(link)).toEqual({ client: 'connected', server: 'connected' });
  }, 40_000);

  it("connects when the client's retransmitted ClientHello reaches the server after the cookie exchange (a reordering path)", async () => {
    loadWeriftEngine();
    // The client's second datagram (its ClientHello again) arrives after the server sent flight 4.
    const link = slowLink(
      (n) => (n === 2 ? ONE_WAY_MS * 3 : ONE_WAY_MS),
      () => ONE_WAY_MS,
    );
    expect(await handshake(link)).toEqual({ client: 'connected', server: 'connected' });
  }, 40_000);
});
