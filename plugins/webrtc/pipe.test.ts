import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransportError, type ConnectionStage, type PipeSink } from '@whatnext/core';
import {
  CHANNEL_BUFFER_LIMIT,
  DRAIN_POLL_MS,
  DataChannelPipe,
  PATH_POLL_MS,
  ADDRESS_POLL_MS,
  ICE_CHECK_LIMIT_MS,
  ICE_DISCONNECTED_LIMIT_MS,
  STATE_POLL_MS,
  WEBRTC_ANSWERER_READY,
} from './pipe';
import type { ChannelLike, DataChannelPipeOptions } from './service';

class FakeChannel implements ChannelLike {
  bufferedAmount = 0;
  readyState = 'open';
  sent: Uint8Array[] = [];
  listeners = new Set<() => void>();
  bufferedAmountLowThreshold?: number;
  send(data: Uint8Array): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError');
    this.sent.push(data);
    this.bufferedAmount += data.byteLength;
  }
}

class EventChannel extends FakeChannel {
  override bufferedAmountLowThreshold = 0;
  addEventListener(_: 'bufferedamountlow', listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_: 'bufferedamountlow', listener: () => void): void {
    this.listeners.delete(listener);
  }
}

function sink(): PipeSink & { drains: number; closes: (Error | undefined)[] } {
  const s = { drains: 0, closes: [] as (Error | undefined)[], frame() {}, drain: () => void s.drains++, closed: (e?: Error) => void s.closes.push(e) };
  return s;
}

/** A pipe over `channel`, open: made as the channel's creator, which the ready message opens
 * (the creator sends nothing of its own, so `channel` sees only what the test sends). */
function openPipe(channel: ChannelLike, s: PipeSink, maxFrameSize: number, close: () => void, lowWaterMark?: number): DataChannelPipe {
  const pipe = new DataChannelPipe({
    label: 'test',
    creator: true,
    sink: s,
    stage() {},
    maxFrameSize,
    ...(lowWaterMark !== undefined && { lowWaterMark }),
    failed() {},
    close,
  });
  pipe.channelOpen(channel);
  pipe.receive(WEBRTC_ANSWERER_READY.slice().buffer);
  expect(pipe.state).toBe('open');
  return pipe;
}

describe('DataChannelPipe', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('uses bufferedamountlow where the engine has it', () => {
    const channel = new EventChannel();
    const s = sink();
    const pipe = openPipe(channel, s, 1024, () => {}, 2048);
    expect(channel.bufferedAmountLowThreshold).toBe(2048);
    pipe.send(new Uint8Array(1024));
    expect(pipe.bufferedAmount()).toBe(1024);
    for (const listener of channel.listeners) listener();
    expect(s.drains).toBe(1);
    expect(vi.getTimerCount()).toBe(0); // no polling
    pipe.end();
    expect(channel.listeners.size).toBe(0);
  });

  it('without it (as @roamhq/wrtc), polls bufferedAmount only while above the low-water mark', () => {
    const channel = new FakeChannel();
    const s = sink();
    const pipe = openPipe(channel, s, 1024, () => {}, 2048);
    pipe.send(new Uint8Array(1024));
    pipe.send(new Uint8Array(1024));
    expect(vi.getTimerCount()).toBe(0); // at the mark: nothing to wait for
    pipe.send(new Uint8Array(1024));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(DRAIN_POLL_MS * 3);
    expect(s.drains).toBe(0);
    channel.bufferedAmount = 2048;
    vi.advanceTimersByTime(DRAIN_POLL_MS);
    expect(s.drains).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reads the engine's bufferedAmount (a blocking call in wrtc) only when it could be over the mark", () => {
    let reads = 0;
    let queued = 0; // what the engine holds; our sends add to it
    const channel: ChannelLike = {
      readyState: 'open',
      get bufferedAmount() {
        reads++;
        return queued;
      },
      send: (data: Uint8Array) => void (queued += data.byteLength),
    };
    const pipe = openPipe(channel, sink(), 1024, () => {}, 4096);
    for (let i = 0; i < 4; i++) pipe.send(new Uint8Array(1024)); // 4096 sent: cannot be over
    expect(reads).toBe(0);
    queued = 0; // the engine sent them meanwhile
    pipe.send(new Uint8Array(1024)); // the bound says maybe: one read, which finds room
    expect(reads).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    pipe.send(new Uint8Array(1024));
    expect(reads).toBe(1); // the bound was refreshed by that read
  });

  it('stops polling once it ends, and refuses frames after', () => {
    const channel = new FakeChannel();
    const s = sink();
    const pipe = openPipe(channel, s, 1024, () => {}, 10);
    pipe.send(new Uint8Array(100));
    expect(vi.getTimerCount()).toBe(1);
    pipe.end();
    expect(vi.getTimerCount()).toBe(0);
    expect(pipe.bufferedAmount()).toBe(0);
    expect(() => pipe.send(new Uint8Array(1))).toThrow(TransportError);
    expect(s.drains).toBe(0);
  });

  it('refuses an oversized frame and reports a channel closed under it as a TransportError', () => {
    const channel = new FakeChannel();
    const pipe = openPipe(channel, sink(), 1024, () => {});
    expect(() => pipe.send(new Uint8Array(1025))).toThrow(RangeError);
    pipe.send(new Uint8Array(1024));
    channel.readyState = 'closing';
    expect(() => pipe.send(new Uint8Array(1))).toThrow(/the data channel is closing/);
  });

  it('close() hands over to the session', () => {
    const close = vi.fn();
    openPipe(new FakeChannel(), sink(), 1024, close).close();
    expect(close).toHaveBeenCalledOnce();
  });
});

describe('DataChannelPipe: opening', () => {
  const sdp = (fingerprint: string, ...lines: string[]) =>
    ['v=0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', `a=fingerprint:sha-256 ${fingerprint}`, ...lines, ''].join('\r\n');

  function opening(creator: boolean, extra: Partial<DataChannelPipeOptions> = {}) {
    const stages: ConnectionStage[] = [];
    const bindings: [string, string][] = [];
    const frames: number[][] = [];
    const failures: TransportError[] = [];
    const s = {
      ...sink(),
      binding: (side: string, value: string) => void bindings.push([side, value]),
      frame: (data: Uint8Array) => void frames.push([...data]),
    };
    const pipe = new DataChannelPipe({
      label: 'test',
      creator,
      sink: s,
      stage: (stage) => stages.push(stage),
      maxFrameSize: 64 * 1024,
      failed: (error) => failures.push(error),
      close() {},
      ...extra,
    });
    return { pipe, stages, bindings, frames, failures, sink: s };
  }

  it('reports the stages in order, a skipped one too, and none once open', () => {
    const { pipe, stages } = opening(false);
    pipe.advance('ice');
    pipe.advance('signaling'); // never backwards
    pipe.channelOpen(new FakeChannel()); // 'channel' on the way
    pipe.advance('ice');
    expect(stages).toEqual(['signaling', 'ice', 'channel']);
    // A dial that reported 'signaling' itself.
    const reported = opening(false, { reported: 'signaling' });
    reported.pipe.advance('channel');
    expect(reported.stages).toEqual(['ice', 'channel']);
  });

  it("reports each side's binding once, and caps the frame size at the remote's largest message", () => {
    const { pipe, bindings } = opening(false);
    pipe.description('local', sdp('AA:BB'));
    pipe.description('local', sdp('AA:BB'));
    pipe.description('remote', sdp('cc:dd', 'a=max-message-size:2048'));
    expect(bindings).toEqual([
      ['local', 'sha-256 AA:BB'],
      ['remote', 'sha-256 CC:DD'],
    ]);
    pipe.channelOpen(new FakeChannel());
    expect(pipe.maxFrameSize).toBe(2048);
  });

  it('the answering side sends the ready message first and opens; frames may come before', async () => {
    const { pipe, frames } = opening(false);
    pipe.receive(Uint8Array.of(1)); // the remote opened first
    const channel = new FakeChannel();
    pipe.channelOpen(channel);
    expect(await pipe.opened).toBe(pipe);
    expect(channel.sent).toEqual([WEBRTC_ANSWERER_READY]);
    pipe.receive(Uint8Array.of(2).buffer);
    expect(frames).toEqual([[1], [2]]);
  });

  it('the creator opens once the ready message came, before or after its channel, which is no frame', async () => {
    for (const readyFirst of [true, false]) {
      const { pipe, frames } = opening(true);
      const channel = new FakeChannel();
      if (readyFirst) pipe.receive(WEBRTC_ANSWERER_READY);
      pipe.channelOpen(channel);
      expect(pipe.state).toBe(readyFirst ? 'open' : 'opening');
      if (!readyFirst) pipe.receive(WEBRTC_ANSWERER_READY);
      expect(await pipe.opened).toBe(pipe);
      expect(channel.sent).toEqual([]);
      expect(frames).toEqual([]);
    }
  });

  it('a creator whose first message is anything else fails at the channel stage, saying the channel was open', async () => {
    const { pipe, failures } = opening(true);
    pipe.channelOpen(new FakeChannel());
    pipe.receive(Uint8Array.of(1, 2, 3));
    expect(failures.map((e) => [e.stage, e.message])).toEqual([
      ['channel', 'test: channel failed: the answering side did not start with the ready message a WhatNext test pipe sends first'],
    ]);
    const waiting = opening(true);
    waiting.pipe.channelOpen(new FakeChannel());
    waiting.pipe.end(new TransportError('channel', 'test: channel failed: the dial was aborted'));
    await expect(waiting.pipe.opened).rejects.toThrow(/the dial was aborted \(the channel was open, but the answering side never sent its ready message\)$/);
  });

  it('refuses an unordered or partially reliable channel', () => {
    for (const channel of [Object.assign(new FakeChannel(), { ordered: false }), Object.assign(new FakeChannel(), { ordered: true, maxRetransmits: 3 })]) {
      const { pipe, failures } = opening(false);
      pipe.channelOpen(channel);
      expect(failures[0]?.message).toMatch(/unordered or partially reliable/);
      expect(channel.sent).toEqual([]);
    }
    // @roamhq/wrtc's way of saying "unlimited".
    const { pipe, failures } = opening(false);
    pipe.channelOpen(Object.assign(new FakeChannel(), { ordered: true, maxRetransmits: 65535, maxPacketLifeTime: 65535 }));
    expect(failures).toEqual([]);
    expect(pipe.state).toBe('open');
  });

  it('a text message fails the open pipe', () => {
    const { pipe, failures } = opening(true);
    pipe.channelOpen(new FakeChannel());
    pipe.receive(WEBRTC_ANSWERER_READY);
    pipe.receive('hello');
    expect(failures.map((e) => e.message)).toEqual(['test: the remote sent a text message; this pipe carries binary frames only']);
  });

  it('end() tells the sink once, and close() hands over once', () => {
    const close = vi.fn();
    const { pipe, sink: s } = opening(false, { close });
    pipe.channelOpen(new FakeChannel());
    pipe.close();
    pipe.close();
    expect(close).toHaveBeenCalledOnce();
    expect(() => pipe.send(Uint8Array.of(1))).toThrow(TransportError);
    pipe.end();
    pipe.end(new Error('late'));
    expect(s.closes).toEqual([undefined]);
  });
});

describe('DataChannelPipe: its own queue above the channel limit, and flush', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('queues frames over CHANNEL_BUFFER_LIMIT, counts them as buffered, and writes them as the channel drains', () => {
    const channel = new FakeChannel();
    const pipe = openPipe(channel, sink(), 1024 * 1024, () => {});
    const frame = new Uint8Array(1024 * 1024);
    const fit = CHANNEL_BUFFER_LIMIT / frame.byteLength;
    for (let i = 0; i < fit + 2; i++) pipe.send(frame);
    expect(channel.sent).toHaveLength(fit);
    expect(pipe.bufferedAmount()).toBe((fit + 2) * frame.byteLength);
    channel.bufferedAmount = 0;
    vi.advanceTimersByTime(DRAIN_POLL_MS);
    expect(channel.sent).toHaveLength(fit + 2);
    expect(pipe.bufferedAmount()).toBe(2 * frame.byteLength);
  });

  it('flush() after close() waits until the channel is empty, or for its bound', async () => {
    const channel = new FakeChannel();
    const pipe = openPipe(channel, sink(), 1024 * 1024, () => {});
    const fit = CHANNEL_BUFFER_LIMIT / (1024 * 1024);
    for (let i = 0; i < fit + 1; i++) pipe.send(new Uint8Array(1024 * 1024));
    pipe.close();
    let flushed = false;
    const flushing = pipe.flush(5000).then(() => (flushed = true));
    channel.bufferedAmount = 0;
    await vi.advanceTimersByTimeAsync(DRAIN_POLL_MS);
    expect(channel.sent).toHaveLength(fit + 1); // the queued frame went out after close
    expect(flushed).toBe(false); // not empty yet: the channel holds it
    channel.bufferedAmount = 0;
    await vi.advanceTimersByTimeAsync(DRAIN_POLL_MS);
    await flushing;
    expect(flushed).toBe(true);

    const stuck = openPipe(new FakeChannel(), sink(), 1024, () => {});
    stuck.send(new Uint8Array(1024));
    stuck.close();
    const bounded = stuck.flush(100);
    await vi.advanceTimersByTimeAsync(100);
    await bounded;
    stuck.release();
    expect(vi.getTimerCount()).toBe(0);
  });
});

/** The part of a peer connection the pipe follows; its states are set by the test. */
class FakePeerConnection extends EventTarget {
  iceConnectionState: RTCIceConnectionState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  constructor(private readonly servers: RTCIceServer[] = []) {
    super();
  }
  getConfiguration(): RTCConfiguration {
    return { iceServers: this.servers };
  }
  candidate(type: string, address = '192.0.2.1'): void {
    this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: { candidate: `candidate:1 1 udp 1 ${address} 9 typ ${type}`, type } }));
  }
  candidateError(url: string, errorCode: number, errorText: string): void {
    this.dispatchEvent(Object.assign(new Event('icecandidateerror'), { url, errorCode, errorText }));
  }
  /** Set the states; `event` false: the engine's event came earlier and read the old state. */
  set(ice: RTCIceConnectionState, connection: RTCPeerConnectionState, event = true): void {
    this.iceConnectionState = ice;
    this.connectionState = connection;
    if (event) this.dispatchEvent(new Event('iceconnectionstatechange'));
  }
  get pc(): RTCPeerConnection {
    return this as unknown as RTCPeerConnection;
  }
}

describe('DataChannelPipe: following ICE', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function dialing(options: Partial<DataChannelPipeOptions> = {}) {
    const stages: ConnectionStage[] = [];
    const failures: TransportError[] = [];
    const pipe = new DataChannelPipe({
      label: 'test',
      creator: false,
      sink: sink(),
      stage: (stage) => stages.push(stage),
      maxFrameSize: 1024,
      failed: (error) => {
        failures.push(error);
        pipe.end(error);
      },
      close() {},
      ...options,
    });
    return { pipe, stages, failures };
  }

  it('moves the stages from the states, and fails at ice with what is missing when ICE finds no path', () => {
    const pc = new FakePeerConnection([{ urls: 'stun:stun.example.org' }]);
    const { pipe, stages, failures } = dialing();
    pipe.follow(pc.pc);
    pc.candidate('host');
    pc.candidate('srflx');
    pc.set('checking', 'connecting');
    expect(stages).toEqual(['signaling', 'ice']);
    pc.set('failed', 'failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TransportError);
    expect(failures[0]).toMatchObject({
      stage: 'ice',
      message:
        'test: ice failed: no direct path to the remote was found: a NAT or firewall between you blocks it, so a relay (TURN) server is needed. ' +
        'Add a TURN server in Settings → Plugins → webrtc (or plugins.config.ts).',
    });
    expect(pipe.state).toBe('ended');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reads the states again while opening, so a failure whose event read a stale state is not missed (as @roamhq/wrtc does)', () => {
    const pc = new FakePeerConnection([]);
    const { pipe, failures } = dialing();
    pipe.follow(pc.pc);
    pc.set('checking', 'connecting');
    // The engine's last event came while its getters still said 'checking'; no event follows.
    pc.set('checking', 'failed', false);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(STATE_POLL_MS);
    expect(failures.map((error) => [error.stage, error.message])).toEqual([
      ['ice', expect.stringMatching(/^test: ice failed: no network path to the remote was found, and no STUN or TURN server is configured/)],
    ]);
  });

  it('fails at ice with the explanation when ICE checks for ICE_CHECK_LIMIT_MS and never says it failed (as libwebrtc now and then does)', () => {
    const pc = new FakePeerConnection([{ urls: 'stun:stun.example.org' }]);
    const { pipe, failures } = dialing();
    pipe.follow(pc.pc);
    pc.candidate('srflx');
    pc.set('checking', 'connecting');
    // No limit while the remote's description is still on its way (a person carries it).
    vi.advanceTimersByTime(2 * ICE_CHECK_LIMIT_MS);
    expect(failures).toEqual([]);
    Object.assign(pc, { remoteDescription: { type: 'answer', sdp: '' } });
    vi.advanceTimersByTime(ICE_CHECK_LIMIT_MS - STATE_POLL_MS);
    expect(failures).toEqual([]);
    // The clock started at the first read of the states after the description came.
    vi.advanceTimersByTime(2 * STATE_POLL_MS);
    expect(failures.map((error) => [error.stage, error.message])).toEqual([['ice', expect.stringContaining('a relay (TURN) server is needed')]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("explains with the peer connection's own servers, the candidates it gathered and the engine's errors", () => {
    const turn = { urls: 'turn:turn.example.org:3478', username: 'u', credential: 'wrong' };
    const pc = new FakePeerConnection([turn]);
    const { pipe } = dialing({ iceServers: [] }); // the service's, older: the peer connection's come first
    pipe.follow(pc.pc);
    pc.candidateError('stun:turn.example.org:3478', 701, 'STUN server address is incompatible.');
    pc.candidateError('turn:turn.example.org:3478?transport=udp', 401, 'Unauthorized');
    expect(pipe.noPath().message).toContain(
      'the relay (TURN) server gave this side no relay address: turn:turn.example.org:3478 refused the username or credential (401).',
    );
    pc.candidate('relay');
    expect(pipe.noPath().message).toContain('not even through the relay (TURN) server: this side has a relay address');
    // Without getConfiguration: the servers the service gave the pipe.
    const bare = new FakePeerConnection();
    Object.assign(bare, { getConfiguration: undefined });
    const fallback = dialing({ iceServers: [turn] });
    fallback.pipe.follow(bare.pc);
    expect(fallback.pipe.noPath().message).toContain('no relay address');
  });

  it('leaves a failure after ICE connected to the plugin (the secure channel), and stops reading states once open (only the path, until the end)', async () => {
    const pc = new FakePeerConnection([]);
    const { pipe, stages, failures } = dialing();
    pipe.follow(pc.pc);
    pc.set('connected', 'connecting');
    expect(stages).toEqual(['signaling', 'ice', 'channel']);
    pc.set('connected', 'failed');
    expect(failures).toEqual([]);
    pipe.channelOpen(new FakeChannel());
    await pipe.opened;
    expect(vi.getTimerCount()).toBe(1); // the path's
    pipe.end();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('DataChannelPipe: an open path that dies', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function opened(localAddresses?: () => ReadonlySet<string>) {
    const pc = new FakePeerConnection([]);
    const failures: TransportError[] = [];
    const pipe: DataChannelPipe = new DataChannelPipe({
      label: 'test',
      creator: false,
      sink: sink(),
      stage: () => {},
      maxFrameSize: 1024,
      failed: (error) => {
        failures.push(error);
        pipe.end(error);
      },
      close() {},
      ...(localAddresses && { localAddresses }),
    });
    pipe.follow(pc.pc);
    pc.candidate('host');
    pc.set('connected', 'connected');
    pipe.channelOpen(new FakeChannel());
    await pipe.opened;
    return { pc, pipe, failures };
  }

  it('fails at ice once ICE stays disconnected for ICE_DISCONNECTED_LIMIT_MS (read on the path poll too), not on a blip', async () => {
    const { pc, pipe, failures } = await opened();
    pc.set('disconnected', 'disconnected');
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_LIMIT_MS - PATH_POLL_MS);
    pc.set('connected', 'connected'); // back: the clock starts over
    pc.set('disconnected', 'disconnected', false); // no event: the poll reads it
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_LIMIT_MS);
    expect(failures).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * PATH_POLL_MS);
    expect(failures.map((error) => [error.stage, error.message])).toEqual([['ice', 'test: the path to the peer stayed disconnected for 2 s']]);
    expect(pipe.state).toBe('ended');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails at ice within ADDRESS_POLL_MS, before the next path poll, once the machine no longer has the address its candidates were gathered from (the host moved)', async () => {
    const own = new Set(['192.0.2.1', '127.0.0.1']);
    const { pc, pipe, failures } = await opened(() => own);
    pc.candidate('host', '127.0.0.1'); // loopback, gathered too, never a remote's path
    await vi.advanceTimersByTimeAsync(3 * PATH_POLL_MS);
    expect(failures).toEqual([]);
    own.delete('192.0.2.1');
    own.add('192.0.2.2');
    await vi.advanceTimersByTimeAsync(ADDRESS_POLL_MS);
    expect(failures.map((error) => [error.stage, error.message])).toEqual([
      ['ice', 'test: the path to the peer is gone: this machine no longer has the address it ran from'],
    ]);
    expect(pipe.state).toBe('ended');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails at ice at once when ICE fails', async () => {
    const { pc, failures } = await opened();
    pc.set('failed', 'failed');
    expect(failures.map((error) => [error.stage, error.message])).toEqual([['ice', 'test: the path to the peer failed']]);
  });
});

/** A selected candidate pair as @roamhq/wrtc's getStats() reports it. */
function pairStats(local: string, remote: string, relayProtocol?: string): Map<string, Record<string, unknown>> {
  return new Map<string, Record<string, unknown>>([
    ['T01', { type: 'transport', selectedCandidatePairId: 'CP1' }],
    ['CP1', { type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1' }],
    ['L1', { type: 'local-candidate', candidateType: local, ...(relayProtocol && { relayProtocol }) }],
    ['R1', { type: 'remote-candidate', candidateType: remote }],
  ]);
}

/** A peer connection whose selected pair the test moves; it counts getStats() calls, and holds
 * their answers back while `held` is set. */
class SwitchingPeerConnection extends FakePeerConnection {
  stats = pairStats('relay', 'host', 'udp');
  reads = 0;
  held: (() => void)[] | undefined;
  getStats(): Promise<Map<string, Record<string, unknown>>> {
    this.reads++;
    const stats = this.stats;
    if (!this.held) return Promise.resolve(stats);
    const held = this.held;
    return new Promise((resolve) => held.push(() => resolve(stats)));
  }
}

describe('DataChannelPipe: the path once open', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A pipe following `pc`, open. */
  async function open(pc: FakePeerConnection) {
    const paths: unknown[] = [];
    const pipe = new DataChannelPipe({
      label: 'test',
      creator: false,
      sink: { ...sink(), path: (path) => void paths.push(path) },
      stage() {},
      maxFrameSize: 1024,
      failed() {},
      close() {},
    });
    pipe.follow(pc.pc);
    pc.set('connected', 'connected');
    pipe.channelOpen(new FakeChannel());
    await pipe.opened;
    await vi.advanceTimersByTimeAsync(0);
    return { pipe, paths };
  }

  it('reports a switch of the selected pair with no ICE event (a relay first, then a direct pair), and only a change', async () => {
    const pc = new SwitchingPeerConnection();
    const { pipe, paths } = await open(pc);
    expect(paths).toEqual([{ kind: 'relayed', relayProtocol: 'udp', local: 'relay', remote: 'host' }]);
    await vi.advanceTimersByTimeAsync(PATH_POLL_MS * 3);
    expect(pc.reads).toBe(4);
    expect(paths).toHaveLength(1); // read again, unchanged: not reported again
    pc.stats = pairStats('srflx', 'host');
    await vi.advanceTimersByTimeAsync(PATH_POLL_MS);
    expect(paths).toEqual([
      { kind: 'relayed', relayProtocol: 'udp', local: 'relay', remote: 'host' },
      { kind: 'direct', local: 'srflx', remote: 'host' },
    ]);
    pipe.end();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(PATH_POLL_MS * 3);
    expect(pc.reads).toBe(5);
  });

  it('reads one at a time: polls while a read is under way are dropped, and an ICE event then reads once more after it', async () => {
    const pc = new SwitchingPeerConnection();
    const { paths } = await open(pc);
    pc.held = [];
    await vi.advanceTimersByTimeAsync(PATH_POLL_MS * 5);
    expect(pc.reads).toBe(2); // the first poll's read, still unanswered: the 4 polls after it read nothing
    pc.stats = pairStats('host', 'host');
    pc.set('completed', 'connected'); // ICE settles anew while that read is under way
    pc.set('completed', 'connected');
    expect(pc.reads).toBe(2);
    const held = pc.held;
    pc.held = undefined;
    for (const answer of held) answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(pc.reads).toBe(3); // one more read, for the events
    expect(paths.at(-1)).toEqual({ kind: 'direct', local: 'host', remote: 'host' });
  });

  it('follows a peer connection it is given once open, too', async () => {
    const pc = new SwitchingPeerConnection();
    const paths: unknown[] = [];
    const pipe = openPipe(new FakeChannel(), { ...sink(), path: (path) => void paths.push(path) }, 1024, () => {});
    expect(vi.getTimerCount()).toBe(0);
    pipe.follow(pc.pc);
    await vi.advanceTimersByTimeAsync(0);
    expect(paths).toEqual([{ kind: 'relayed', relayProtocol: 'udp', local: 'relay', remote: 'host' }]);
    expect(vi.getTimerCount()).toBe(1);
    pipe.end();
    expect(vi.getTimerCount()).toBe(0);
  });
});
