/**
 * What the fuzzer sends: requests (valid, mutated and hostile), links and codes as a person
 * might paste them or an attacker craft them, values only a structured clone can carry, and
 * WebSocket text and frames no browser would send. Drawn from a seeded `Random`.
 */
import { methods } from '../../core/protocol';
import type { Random } from './random';

/** Real material the inputs mutate, gathered from the running services at the start. */
export interface Seeds {
  /** A manual invite link and its bare code, from a real invite. */
  inviteLink: string;
  inviteCode: string;
  /** The invite's open question (the reply code it waits for) and a real reply code. */
  attemptId: string;
  questionId: string;
  replyCode: string;
  /** The loopback port of the fuzz run's own PeerJS broker. */
  brokerPort: number;
}

export type FuzzInput =
  /** A request on the service's IPC port (any value the structured clone carries). */
  | { kind: 'ipc-request'; method: string; params: unknown; extra?: Record<string, unknown> }
  /** Anything else on the IPC port: not a request at all, or one without a usable id. */
  | { kind: 'ipc-junk'; message: unknown }
  /** A request as JSON text on a page's WebSocket. */
  | { kind: 'ws-request'; method: string; params: unknown }
  /** Text on a page's WebSocket that may not even be JSON. */
  | { kind: 'ws-text'; text: string }
  /** Raw bytes on a freshly upgraded socket: frames `ws` must refuse. */
  | { kind: 'ws-frame'; frame: Buffer };

/** Requests that would end the run itself. */
const EXCLUDED = new Set(['service.shutdown']);
const METHODS = Object.keys(methods).filter((name) => !EXCLUDED.has(name));
const NASTY = 'aZ09 _-.~/\\%&=?#:@!$\'"()*+,;[]{}<>|^`\u0000\u0007\u001f\u007f\u00e9\u202e\u2066\ud800\udfff\uffff😀';
const URL_SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';

export function nextInput(random: Random, seeds: Seeds): FuzzInput {
  return random.weighted<() => FuzzInput>([
    [20, () => ({ kind: 'ipc-request', method: 'links.open', params: { link: link(random, seeds) } })],
    [
      6,
      () => ({
        kind: 'ipc-request',
        method: 'attempts.answer',
        params: { attemptId: seeds.attemptId, questionId: seeds.questionId, answer: mutate(random, seeds.replyCode) },
      }),
    ],
    [18, () => ({ kind: 'ipc-request', method: random.pick(METHODS), params: json(random, 4) })],
    [14, () => hostileRequest(random)],
    [5, () => ({ kind: 'ipc-request', method: 'plugins.configure', params: pluginOptions(random, seeds) })],
    [7, () => ({ kind: 'ipc-junk', message: junk(random) })],
    [12, () => ({ kind: 'ws-request', method: random.pick(METHODS), params: random.chance(0.5) ? { link: link(random, seeds) } : json(random, 4) })],
    [12, () => ({ kind: 'ws-text', text: wsText(random) })],
    [6, () => ({ kind: 'ws-frame', frame: frame(random) })],
  ])();
}

// ---- links and codes ----

function link(random: Random, seeds: Seeds): string {
  return random.weighted<() => string>([
    [4, () => mutate(random, seeds.inviteLink)],
    [2, () => mutate(random, seeds.inviteCode)],
    [3, () => peerjsLink(random, seeds)],
    [2, () => `whtnxt://connect?${params(random)}`],
    [1, () => random.string(random.length(9000), NASTY)],
  ])();
}

function peerjsLink(random: Random, seeds: Seeds): string {
  const path = random.weighted<() => string>([
    [3, () => '/whatnext'],
    // The shape that once froze the service's pattern matching.
    [2, () => `/${'a'.repeat(random.int(20, 200))}!`],
    [1, () => `/${random.string(random.length(300), 'a/._~-!')}`],
  ])();
  const base = {
    v: '1',
    via: 'peerjs',
    n: random.string(random.int(0, 70), NASTY),
    t: random.string(random.int(6, 66), URL_SAFE),
    h: '127.0.0.1',
    p: String(seeds.brokerPort),
    pt: path,
    k: 'peerjs',
    s: random.pick(['0', '1', '2']),
    id: random.string(random.int(24, 28), 'abcdefghjkmnpqrstvwxyz0123456789'),
  };
  return mutate(random, `whtnxt://connect?${new URLSearchParams(base)}`, 0.5);
}

function params(random: Random): string {
  const count = random.length(40);
  const pairs: string[] = [];
  for (let i = 0; i < count; i++) pairs.push(`${random.string(random.length(40), NASTY)}=${random.string(random.length(200), NASTY)}`);
  return pairs.join(random.pick(['&', '&&', ';']));
}

/** `text` with a few edits, each of a kind that has broken parsers before. */
export function mutate(random: Random, text: string, probability = 1): string {
  if (!random.chance(probability)) return text;
  let out = text;
  const edits = random.int(1, 4);
  for (let i = 0; i < edits; i++) {
    const at = random.int(0, out.length);
    out = random.weighted<() => string>([
      [3, () => out.slice(0, at) + random.string(1, NASTY) + out.slice(at + 1)],
      [2, () => out.slice(0, at) + random.string(random.length(64), NASTY) + out.slice(at)],
      [2, () => out.slice(0, at) + out.slice(at + random.length(200))],
      [1, () => out.slice(0, at)],
      [1, () => `${out}&${out.slice(out.indexOf('?') + 1)}`],
      [1, () => out + random.string(random.length(20_000), URL_SAFE)],
      [1, () => out.replace(/^[a-z-]+:/, `${random.pick(['WHTNXT', 'whtnxt-dev', 'http', 'javascript', ''])}:`)],
    ])();
  }
  return out;
}

// ---- values ----

/** A JSON value, `depth` levels at most. */
function json(random: Random, depth: number): unknown {
  return random.weighted<() => unknown>([
    [3, () => random.string(random.length(300), NASTY)],
    [2, () => random.pick([0, -0, 1, -1, 1e308, -1e-308, 2 ** 53, 0.5, 42])],
    [1, () => random.pick([true, false, null])],
    [depth > 0 ? 2 : 0, () => Array.from({ length: random.length(20) }, () => json(random, depth - 1))],
    [depth > 0 ? 3 : 0, () => Object.fromEntries(Array.from({ length: random.length(12) }, () => [random.pick(KEYS), json(random, depth - 1)]))],
  ])();
}

/** Keys the protocol's schemas read, so random objects sometimes get far into them. */
const KEYS = [
  'link',
  'method',
  'attemptId',
  'questionId',
  'answer',
  'connectionId',
  'channel',
  'message',
  'reason',
  'peerId',
  'plugin',
  'options',
  'displayName',
  'autoAcceptKnownPeers',
  'defaultMethod',
  'playlistId',
  'name',
  'tracks',
  'title',
  'artist',
  'durationMs',
  'trackId',
  'after',
  'before',
  'sharedWith',
  'id',
  '__proto__',
  'constructor',
  'toString',
  '',
];

/** Values only a structured clone carries, or that cost far more to walk than to send. */
function hostileValue(random: Random): unknown {
  return random.weighted<() => unknown>([
    [3, () => Object.assign([], { length: random.pick([10, 100_000, 5_000_000, 2 ** 32 - 1]) })],
    [
      2,
      () => {
        const sparse: unknown[] = [1, 2, 3];
        sparse[random.int(4, 1000)] = 4;
        return sparse;
      },
    ],
    [
      2,
      () => {
        let shared: unknown = [];
        for (let i = 0, levels = random.int(10, 100); i < levels; i++) shared = [shared, shared];
        return shared;
      },
    ],
    [
      2,
      () => {
        let deep: unknown = 'bottom';
        for (let i = 0, levels = random.int(100, 5000); i < levels; i++) deep = random.chance(0.5) ? [deep] : { d: deep };
        return deep;
      },
    ],
    [1, () => 'x'.repeat(random.pick([64 * 1024, 1024 * 1024, 6 * 1024 * 1024]))],
    [1, () => Object.fromEntries(Array.from({ length: random.pick([1000, 100_000]) }, (_, i) => [`k${i}`, i]))],
    [
      2,
      () =>
        random.pick<unknown>([
          new Map([[1, 2]]),
          new Set([1]),
          new Date(0),
          /x/,
          10n,
          new Error('boom'),
          new Uint8Array(random.int(0, 70_000)),
          new Float64Array(4),
          new DataView(new ArrayBuffer(8)),
          new ArrayBuffer(16),
          NaN,
          Infinity,
          undefined,
        ]),
    ],
    [1, () => '\ud800'.repeat(random.int(1, 100))],
  ])();
}

function hostileRequest(random: Random): FuzzInput {
  const value = hostileValue(random);
  return random.weighted<() => FuzzInput>([
    [4, () => ({ kind: 'ipc-request', method: 'connections.send', params: { connectionId: 'c1', channel: 'chat', message: value } })],
    [2, () => ({ kind: 'ipc-request', method: 'tracks.add', params: { playlistId: 'p1', tracks: value } })],
    [1, () => ({ kind: 'ipc-request', method: 'links.open', params: { link: value } })],
    [1, () => ({ kind: 'ipc-request', method: 'settings.update', params: { displayName: value } })],
    [1, () => ({ kind: 'ipc-request', method: random.pick(METHODS), params: value })],
    [1, () => ({ kind: 'ipc-request', method: random.pick(METHODS), params: {}, extra: { [random.pick(KEYS)]: value } })],
  ])();
}

/** Options for a plugin, never ones that would make the service reach past this machine: the
 * broker is the run's own on loopback, and there are no STUN or TURN servers. */
function pluginOptions(random: Random, seeds: Seeds): unknown {
  const plugin = random.pick(['manual', 'webrtc', 'simple-peer', 'peerjs', 'rxdb', 'rate-limit', 'known-peers', 'no-such-plugin', '']);
  const options = random.chance(0.8) ? (json(random, 3) as Record<string, unknown>) : hostileValue(random);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return { plugin, options };
  const safe: Record<string, unknown> = { ...options };
  if (plugin === 'peerjs') Object.assign(safe, { host: '127.0.0.1', port: seeds.brokerPort, listen: false });
  if (plugin === 'webrtc') safe.iceServers = [];
  return { plugin, options: safe };
}

function junk(random: Random): unknown {
  return random.weighted<() => unknown>([
    [2, () => json(random, 3)],
    [1, () => hostileValue(random)],
    [1, () => ({ type: 'request', method: random.pick(METHODS), params: {} })],
    [1, () => ({ type: 'request', id: random.pick([-1, 1.5, '', 'x'.repeat(65), null, {}, []]), method: random.pick(METHODS), params: {} })],
    [1, () => ({ type: random.pick(['response', 'event', 'Request', '']), id: 1 })],
  ])();
}

// ---- the browser shell's WebSocket ----

function wsText(random: Random): string {
  const request = JSON.stringify({ type: 'request', id: random.int(0, 1000), method: random.pick(METHODS), params: json(random, 3) });
  return random.weighted<() => string>([
    [3, () => mutate(random, request)],
    [2, () => request.replace('"params":', `"params":{"message":{"$whatnext:bytes":"${random.string(random.length(40), `${URL_SAFE}=!*`)}"}},"x":`)],
    [1, () => random.string(random.length(2000), NASTY)],
    [1, () => '['.repeat(random.int(1000, 200_000))],
    [1, () => JSON.stringify(json(random, 4))],
  ])();
}

const MASK = Buffer.alloc(4);

/** A frame `ws` must refuse, or random bytes after the upgrade. */
function frame(random: Random): Buffer {
  const payload = Buffer.from(random.string(random.int(0, 125), URL_SAFE));
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(random.pick([17 * 1024 * 1024, 2 ** 40])));
  return random.weighted<() => Buffer>([
    [1, () => Buffer.concat([Buffer.from([0x81, 0x80 | 127]), length, MASK])],
    [1, () => Buffer.concat([Buffer.from([0x81, 0x80 | 2]), MASK, Buffer.from([0xff, random.int(0x80, 0xff)])])],
    [1, () => Buffer.concat([Buffer.from([0x81, payload.length]), payload])],
    [1, () => Buffer.concat([Buffer.from([random.pick([0xc1, 0xa1, 0x91]), 0x80 | payload.length]), MASK, payload])],
    [1, () => Buffer.concat([Buffer.from([0x80 | random.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), 0x80 | payload.length]), MASK, payload])],
    [1, () => Buffer.concat([Buffer.from([0x88, 0x80 | 2]), MASK, Buffer.from([random.pick([0x00, 0x03, 0x0b, 0x13]), random.int(0, 255)])])],
    [1, () => Buffer.concat([Buffer.from([random.pick([0x09, 0x0a, 0x08]), 0x80 | payload.length]), MASK, payload])],
    [1, () => Buffer.concat([Buffer.from([0x80, 0x80 | payload.length]), MASK, payload])],
    [1, () => Buffer.from(random.string(random.int(1, 512), NASTY), 'latin1')],
  ])();
}
