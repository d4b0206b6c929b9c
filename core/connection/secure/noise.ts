/**
 * Noise_XX_25519_ChaChaPoly_SHA256 (the Noise Protocol Framework, revision 34: the pattern
 * libp2p's Noise runs), written from the specification for the one pattern core needs:
 *
 *   -> e
 *   <- e, ee, s, es
 *   -> s, se
 *
 * Each side learns the other's static key; both are authenticated by the payloads that ride in
 * messages 2 and 3 (the session layer signs its static key with the peer's Ed25519 identity,
 * session.ts). After message 3 each direction has its own key and a counter nonce (`split`).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ProtocolError } from '../../errors';
import { concatBytes } from '../../util/bytes';
import { TAG_BYTES, type KeyPair, type SessionCrypto } from './session-crypto';

const PROTOCOL_NAME = new TextEncoder().encode('Noise_XX_25519_ChaChaPoly_SHA256');
const KEY_BYTES = 32;
const EMPTY = new Uint8Array(0);
/** Noise forbids the last nonce (2^64 - 1, kept for rekeying); a JavaScript counter stops at 2^53. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

/** HKDF(ck, ikm) of the specification with two outputs: RFC 5869 with `ck` as salt, no info. */
function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(sha256, ikm, chainingKey, EMPTY, 2 * KEY_BYTES);
  return [out.slice(0, KEY_BYTES), out.slice(KEY_BYTES)];
}

/**
 * One direction's key and counter nonce. A frame decrypts only under the nonce it was sealed
 * with, so a frame altered, replayed, reordered or dropped on the way fails the next `decrypt`.
 */
export class CipherState {
  #nonce = 0;
  readonly #iv = new Uint8Array(12);
  readonly #view = new DataView(this.#iv.buffer);

  constructor(
    private readonly crypto: SessionCrypto,
    private readonly key: Uint8Array,
  ) {}

  encrypt(plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    return this.crypto.seal(this.key, this.#next(), ad, plaintext);
  }

  /** Throws a `ProtocolError` when the frame does not authenticate under the next nonce. */
  decrypt(sealed: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    const plaintext = this.crypto.open(this.key, this.#next(), ad, sealed);
    if (!plaintext) throw new ProtocolError('an encrypted frame did not authenticate: it was altered, replayed, reordered or one before it was dropped');
    return plaintext;
  }

  /** The nonce of the specification for ChaChaPoly: 4 zero bytes, then the counter as 64 bits, little-endian. */
  #next(): Uint8Array {
    if (this.#nonce >= MAX_NONCE) throw new ProtocolError('the session used every nonce');
    const n = this.#nonce++;
    this.#view.setUint32(4, n % 0x1_0000_0000, true);
    this.#view.setUint32(8, Math.floor(n / 0x1_0000_0000), true);
    return this.#iv;
  }
}

/** The handshake's running hash and chaining key (the specification's SymmetricState). */
class SymmetricState {
  #h: Uint8Array;
  #ck: Uint8Array;
  #cipher: CipherState | undefined;

  constructor(private readonly crypto: SessionCrypto) {
    // The name is exactly 32 bytes, the hash length: it is h as it stands.
    this.#h = PROTOCOL_NAME.slice();
    this.#ck = this.#h;
  }

  get hash(): Uint8Array {
    return this.#h;
  }

  mixHash(data: Uint8Array): void {
    this.#h = sha256(concatBytes(this.#h, data));
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, key] = hkdf2(this.#ck, ikm);
    this.#ck = ck;
    this.#cipher = new CipherState(this.crypto, key);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const out = this.#cipher ? this.#cipher.encrypt(plaintext, this.#h) : plaintext;
    this.mixHash(out);
    return out;
  }

  decryptAndHash(data: Uint8Array): Uint8Array {
    const out = this.#cipher ? this.#cipher.decrypt(data, this.#h) : data;
    this.mixHash(data);
    return out;
  }

  /** Initiator-to-responder and responder-to-initiator ciphers. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf2(this.#ck, EMPTY);
    return [new CipherState(this.crypto, k1), new CipherState(this.crypto, k2)];
  }
}

/** Keys one handshake runs with. The static key may come later (`provideStatic`), before the
 * message that carries it; a given `ephemeral` is for test vectors and for reusing the key a
 * side already sent (session.ts). */
export interface HandshakeKeys {
  static?: KeyPair;
  ephemeral?: KeyPair;
}

/** What a finished handshake leaves: a cipher per direction and who the remote is. */
export interface NoiseResult {
  send: CipherState;
  receive: CipherState;
  remoteStatic: Uint8Array;
  /** The transcript hash, the same on both ends of this session and on no other. */
  handshakeHash: Uint8Array;
}

/**
 * One side of an XX handshake. Messages go strictly in turn: `writeMessage` and `readMessage`
 * throw when called out of turn, and `readMessage` throws a `ProtocolError` for a message that
 * is malformed or does not authenticate.
 */
export class NoiseXX {
  readonly #state: SymmetricState;
  #s: KeyPair | undefined;
  #e: KeyPair | undefined;
  #re: Uint8Array | undefined;
  #rs: Uint8Array | undefined;
  /** Messages done so far (0..3). */
  #step = 0;

  constructor(
    readonly initiator: boolean,
    private readonly crypto: SessionCrypto,
    prologue: Uint8Array,
    keys: HandshakeKeys = {},
  ) {
    this.#s = keys.static;
    this.#e = keys.ephemeral;
    this.#state = new SymmetricState(crypto);
    this.#state.mixHash(prologue);
  }

  /** True when the next message is ours to write. */
  get ourTurn(): boolean {
    return this.#step < 3 && this.#step % 2 === (this.initiator ? 0 : 1);
  }

  get done(): boolean {
    return this.#step === 3;
  }

  /** The remote's static key, once its message carrying it was read. */
  get remoteStatic(): Uint8Array | undefined {
    return this.#rs;
  }

  provideStatic(keys: KeyPair): void {
    this.#s ??= keys;
  }

  writeMessage(payload: Uint8Array): Uint8Array {
    if (!this.ourTurn) throw new Error('not our turn to write a handshake message');
    const step = this.#step++;
    const state = this.#state;
    if (step === 0) {
      const e = this.#ephemeral();
      state.mixHash(e.publicKey);
      return concatBytes(e.publicKey, state.encryptAndHash(payload));
    }
    if (step === 1) {
      const e = this.#ephemeral();
      state.mixHash(e.publicKey);
      state.mixKey(this.#dh(e, this.#re!)); // ee
      const ours = this.#static();
      const s = state.encryptAndHash(ours.publicKey);
      state.mixKey(this.#dh(ours, this.#re!)); // es, as the responder
      return concatBytes(e.publicKey, s, state.encryptAndHash(payload));
    }
    const ours = this.#static();
    const s = state.encryptAndHash(ours.publicKey);
    state.mixKey(this.#dh(ours, this.#re!)); // se, as the initiator
    return concatBytes(s, state.encryptAndHash(payload));
  }

  /** The payload the remote's message carries. */
  readMessage(message: Uint8Array): Uint8Array {
    if (this.ourTurn || this.done) throw new ProtocolError('a handshake message arrived out of turn');
    const step = this.#step++;
    const state = this.#state;
    const take = (bytes: number, what: string) => {
      if (message.byteLength < bytes) throw new ProtocolError(`handshake message ${step + 1} is too short for ${what}`);
      const part = message.subarray(0, bytes);
      message = message.subarray(bytes);
      return part;
    };
    if (step === 0) {
      this.#re = take(KEY_BYTES, 'a key').slice();
      state.mixHash(this.#re);
      return state.decryptAndHash(message);
    }
    if (step === 1) {
      this.#re = take(KEY_BYTES, 'a key').slice();
      state.mixHash(this.#re);
      state.mixKey(this.#dh(this.#e!, this.#re)); // ee
      this.#rs = state.decryptAndHash(take(KEY_BYTES + TAG_BYTES, 'a static key'));
      state.mixKey(this.#dh(this.#e!, this.#rs)); // es, as the initiator
      return state.decryptAndHash(message);
    }
    this.#rs = state.decryptAndHash(take(KEY_BYTES + TAG_BYTES, 'a static key'));
    state.mixKey(this.#dh(this.#e!, this.#rs)); // se, as the responder
    return state.decryptAndHash(message);
  }

  /** After the third message: the ciphers, this side's send first. */
  result(): NoiseResult {
    if (!this.done) throw new Error('the handshake is not finished');
    const [initiatorToResponder, responderToInitiator] = this.#state.split();
    return {
      send: this.initiator ? initiatorToResponder : responderToInitiator,
      receive: this.initiator ? responderToInitiator : initiatorToResponder,
      remoteStatic: this.#rs!,
      handshakeHash: this.#state.hash,
    };
  }

  /** Our ephemeral key pair, made at the first call if not given. */
  get ephemeral(): KeyPair {
    return this.#ephemeral();
  }

  #static(): KeyPair {
    if (!this.#s) throw new Error('the handshake needs our static key now, and none was provided');
    return this.#s;
  }

  #ephemeral(): KeyPair {
    return (this.#e ??= this.crypto.generateKeyPair());
  }

  #dh(ours: KeyPair, theirs: Uint8Array): Uint8Array {
    try {
      return this.crypto.dh(ours.secretKey, theirs);
    } catch (cause) {
      throw new ProtocolError('the remote sent an unusable key in the handshake', { cause });
    }
  }
}
