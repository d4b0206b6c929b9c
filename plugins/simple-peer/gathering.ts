/**
 * One complete signal per side, for signaling by hand (`trickle: false`).
 *
 * simple-peer's own non-trickle mode waits for the engine's end-of-candidates, or for its
 * 5 s `iceCompleteTimeout` if that never comes. Here the session runs simple-peer with trickle
 * internally and this class assembles the one signal itself:
 *
 * - it holds the local description and the candidates as they are gathered;
 * - when gathering completes (`iceGatheringState` 'complete') it sends the description with
 *   every candidate in it: ~0.1 s on loopback or a LAN, where only host candidates exist;
 * - if gathering is still running after `timeoutMs` (a STUN/TURN server that answers slowly
 *   or not at all: libwebrtc then needs ~40 s to give up), it sends what it has, provided it
 *   has at least one candidate (else it waits for the first one or for completion).
 *
 * Why sending early is safe: ICE needs one working candidate pair, not all of them. The remote
 * gets our host (and any server-reflexive/relay) candidates; we get all of its candidates;
 * connectivity checks we send to it also teach it our reflexive address (a peer-reflexive
 * candidate). What a late candidate would add is a path through a NAT that only a STUN/TURN
 * answer arriving after the deadline could have opened, and that server was already too slow
 * to be useful.
 */
import { withCandidates, withoutTrickleOption, type CandidateLine } from './sdp';
import type { DescriptionSignal } from './signals';

export interface CompleteSignalOptions {
  timeoutMs: number;
  /** The engine's current local SDP (libwebrtc puts gathered candidates in it), if any. */
  localSdp(): string | undefined;
  send(signal: DescriptionSignal): void;
}

export class CompleteSignal {
  #description: DescriptionSignal | undefined;
  #candidates: CandidateLine[] = [];
  #complete = false;
  #deadlinePassed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sent = false;

  constructor(private readonly options: CompleteSignalOptions) {}

  /** The local offer/answer (gathering starts with it). */
  description(signal: DescriptionSignal): void {
    if (this.#sent || this.#description) return;
    this.#description = signal;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#deadlinePassed = true;
      this.#maybeSend();
    }, this.options.timeoutMs);
    this.#maybeSend();
  }

  candidate(candidate: CandidateLine): void {
    if (this.#sent || !candidate.candidate) return;
    this.#candidates.push(candidate);
    this.#maybeSend();
  }

  /** The engine finished gathering. */
  complete(): void {
    this.#complete = true;
    this.#maybeSend();
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #maybeSend(): void {
    const description = this.#description;
    if (this.#sent || !description) return;
    if (!this.#complete && !(this.#deadlinePassed && this.#candidates.length > 0)) return;
    this.#sent = true;
    this.dispose();
    const sdp = withoutTrickleOption(withCandidates(this.options.localSdp() ?? description.sdp, this.#candidates));
    this.options.send({ type: description.type, sdp });
  }
}
