/**
 * Debian's coturn (`turnserver`) on the lab's public segment: STUN and TURN over UDP and TCP on
 * 3478, TURN over TLS on 443 (the port that gets through firewalls allowing only the web),
 * with a self-signed certificate made for the lab. One server runs one kind of credentials:
 * coturn refuses static users when `use-auth-secret` is on (its REST mode replaces the
 * long-term user lookup), so a test wanting both starts two servers on different ports.
 *
 * Everything it writes stays in the lab's temp folder: the config (`-c`, so /etc/turnserver.conf,
 * which logs to syslog, is never read), its pid file (default /var/run/turnserver.pid), its
 * SQLite user database (default /var/lib/turn/turndb, opened even when unused) and its log (on
 * stdout, which the lab keeps).
 */
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, run } from './exec';
import { PUBLIC_RANGE, type Lab } from './lab';
import type { LabProcess } from './processes';

export type CoturnAuth = { mode: 'long-term'; username: string; password: string } | { mode: 'rest'; secret: string };

export interface CoturnOptions {
  auth: CoturnAuth;
  /** STUN/TURN over UDP and TCP (default 3478). */
  port?: number;
  /** TURN over TLS (default 443). */
  tlsPort?: number;
  /** Relay ports (default 49152-65535); two servers in one lab need disjoint ranges. */
  relayPorts?: [number, number];
  /** Readiness bound (default 15 s). */
  readyTimeoutMs?: number;
}

export interface Coturn {
  readonly address: string;
  readonly port: number;
  readonly tlsPort: number;
  readonly realm: string;
  /** The certificate coturn presents on TLS (PEM), to trust explicitly. */
  readonly certificate: string;
  /** `stun:`, `turn:` (UDP), `turn:?transport=tcp` and `turns:` URLs of this server. */
  readonly urls: { stun: string; turnUdp: string; turnTcp: string; turns: string };
  readonly process: LabProcess;
  /** Everything coturn logged so far (last few kilobytes). */
  log(): string;
  /** Kills coturn and waits for its exit; safe to call twice. */
  stop(): Promise<void>;
}

export const REALM = 'lab.whatnext';

/**
 * TURN REST API credentials (coturn's use-auth-secret): the username is
 * `<expiry unix seconds>:<user>` and the credential is base64(HMAC-SHA1(secret, username)).
 * coturn accepts them until the expiry passes.
 */
export function restCredentials(secret: string, user: string, ttlSeconds: number, now: number = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** A self-signed certificate for `address` (subjectAltName IP), valid for a day, of the server's
 * own (files named after it): servers started at once in one lab must not write the same files,
 * or one reads a key the other is rewriting. */
async function makeCertificate(dir: string, address: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=turn.lab.whatnext',
    '-addext',
    `subjectAltName=IP:${address}`,
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { cert, key };
}

export async function startCoturn(lab: Lab, options: CoturnOptions): Promise<Coturn> {
  const address = lab.public.address;
  const port = options.port ?? 3478;
  const tlsPort = options.tlsPort ?? 443;
  const [minPort, maxPort] = options.relayPorts ?? [49152, 65535];
  const name = `coturn-${port}`;
  const { cert, key } = await makeCertificate(lab.dir, address, name);
  const auth =
    options.auth.mode === 'long-term'
      ? ['lt-cred-mech', `user=${options.auth.username}:${options.auth.password}`]
      : ['use-auth-secret', `static-auth-secret=${options.auth.secret}`];
  const config = [
    `listening-ip=${address}`,
    `relay-ip=${address}`,
    `listening-port=${port}`,
    `tls-listening-port=${tlsPort}`,
    `min-port=${minPort}`,
    `max-port=${maxPort}`,
    // WebRTC never speaks DTLS to TURN; one listener less.
    'no-dtls',
    `realm=${REALM}`,
    'fingerprint',
    ...auth,
    `cert=${cert}`,
    `pkey=${key}`,
    'no-cli',
    'no-multicast-peers',
    // coturn 4.6.1 denies no private range by default (only 0.0.0.0/8 and loopback), but a
    // production config should, and the lab's "public" segment is one: allowed explicitly.
    // The hosts' lans (10/8) are unreachable from here: refused (403) rather than relayed into
    // the void. Loopback stays denied, so the 127.0.0.1 host candidates wrtc gathers get a
    // 403 too: expected noise in the log.
    `allowed-peer-ip=${PUBLIC_RANGE.join('-')}`,
    'denied-peer-ip=10.0.0.0-10.255.255.255',
    'log-file=stdout',
    'simple-log',
    // Verbose: the listener lines are the readiness signal, and permission refusals are logged.
    'verbose',
    `pidfile=${join(lab.dir, `${name}.pid`)}`,
    `userdb=${join(lab.dir, `${name}.db`)}`,
  ];
  const configFile = join(lab.dir, `${name}.conf`);
  writeFileSync(configFile, `${config.join('\n')}\n`);

  // Ready once every listener is open: from then on requests queue in the sockets.
  const expected = [
    `UDP listener opened on: ${address}:${port}`,
    `TLS/TCP listener opened on : ${address}:${port}`,
    `TLS/TCP listener opened on : ${address}:${tlsPort}`,
  ];
  let log = '';
  let onLine = () => {};
  const proc = lab.public.spawn(name, 'turnserver', ['-c', configFile], {
    onOutput: (text) => {
      log = (log + text).slice(-64_000);
      onLine();
    },
  });
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LabError(`netlab: coturn did not open its listeners within ${timeoutMs} ms; its log:\n${log}`)), timeoutMs);
      onLine = () => {
        if (expected.every((line) => log.includes(line))) {
          clearTimeout(timer);
          resolve();
        }
      };
      void proc.exited.then((exit) => {
        clearTimeout(timer);
        reject(new LabError(`netlab: coturn exited (code ${exit.code}, signal ${exit.signal}) before it was ready; its log:\n${log}`));
      });
      onLine();
    });
  } catch (error) {
    await proc.stop();
    throw error;
  }
  onLine = () => {};

  let stopping: Promise<void> | undefined;
  return {
    address,
    port,
    tlsPort,
    realm: REALM,
    certificate: readFileSync(cert, 'utf8'),
    urls: {
      stun: `stun:${address}:${port}`,
      turnUdp: `turn:${address}:${port}?transport=udp`,
      turnTcp: `turn:${address}:${port}?transport=tcp`,
      turns: `turns:${address}:${tlsPort}?transport=tcp`,
    },
    process: proc,
    log: () => log,
    stop() {
      // SIGTERM: coturn exits at once on it; the lab's stop falls back to SIGKILL.
      stopping ??= proc.stop('SIGTERM').then(() => {});
      return stopping;
    },
  };
}
