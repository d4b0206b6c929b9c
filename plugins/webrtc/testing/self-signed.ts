/**
 * A fresh self-signed ECDSA P-256 certificate and its key, made synchronously with node:crypto:
 * for tests that need a certificate in PEM (a CA to trust for turns: servers).
 *
 * The certificate is the least X.509 v3 that TLS and DTLS peers read (RFC 5280): serial, signature
 * algorithm ecdsa-with-SHA256, issuer = subject = CN "WebRTC", a validity of 30 days from a day
 * ago (clocks differ), the public key; no extensions.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** DER: a tag, its length (short or long form), the content. */
function der(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const head =
    length < 0x80 ? Buffer.from([tag, length]) : length < 0x100 ? Buffer.from([tag, 0x81, length]) : Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([head, content]);
}
const sequence = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
/** A positive INTEGER from big-endian bytes (a leading zero keeps the sign bit clear). */
const integer = (bytes: Buffer) => der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
/** UTCTime, YYMMDDHHMMSSZ (dates before 2050). */
const utcTime = (date: Date) => der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
/** 1.2.840.10045.4.3.2, ecdsa-with-SHA256. */
const ECDSA_WITH_SHA256 = sequence(Buffer.from('06082a8648ce3d040302', 'hex'));
/** CN=WebRTC: 2.5.4.3 (commonName) as a UTF8String. */
const NAME = sequence(der(0x31, sequence(Buffer.from('0603550403', 'hex'), der(0x0c, Buffer.from('WebRTC', 'utf8')))));
const DAY_MS = 24 * 60 * 60 * 1000;

/** The key (PKCS #8) and the certificate, in PEM. */
export interface SelfSigned {
  keyPem: string;
  certPem: string;
}

export function selfSigned(now = Date.now()): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = sequence(
    der(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_WITH_SHA256,
    NAME,
    sequence(utcTime(new Date(now - DAY_MS)), utcTime(new Date(now + 30 * DAY_MS))),
    NAME,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value, as X.509 wants it
  const certificate = sequence(tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = certificate.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certPem: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`,
  };
}
