/** The service's persistent state: identity, settings and known peers, one file each. */
import { join } from 'node:path';
import { z } from 'zod';
import type { PeerInfo } from '../../core/contracts/peer';
import type { PeerIdentity } from '../../core/connection/proof';
import { KnownPeer, Settings } from '../../core/protocol';
import { JsonFile } from './json-file';
import { withoutUndefined } from '../../core/util/objects';
import { WhatNextError } from '../../core/errors';
import { StoredIdentity, newIdentity, peerIdOf, signerOf } from './identity';

const KnownPeers = z.array(KnownPeer);

export class ServiceState {
  readonly #identity: JsonFile<typeof StoredIdentity>;
  readonly #settings: JsonFile<typeof Settings>;
  readonly #known: JsonFile<typeof KnownPeers>;
  #settingsValue: Settings;
  #knownValue: KnownPeer[];
  readonly peerId: string;
  /** Proves `peerId` in every connection's handshake. */
  readonly identity: PeerIdentity;

  constructor(
    readonly dataDir: string,
    nameOverride?: string,
  ) {
    this.#identity = new JsonFile(join(dataDir, 'identity.json'), StoredIdentity);
    this.#settings = new JsonFile(join(dataDir, 'settings.json'), Settings);
    this.#known = new JsonFile(join(dataDir, 'known-peers.json'), KnownPeers);

    // The key pair (and so the peer id) is created once and kept: it is how other peers know
    // this one. A file whose id does not match its key is refused rather than trusted.
    const identity = this.#identity.read(() => newIdentity(nameOverride ?? 'WhatNext user'));
    if (peerIdOf(identity.publicKey) !== identity.id) throw new Error(`${join(dataDir, 'identity.json')}: the peer id does not match the key`);
    this.#identity.write(identity);
    this.peerId = identity.id;
    this.identity = signerOf(identity);
    this.#settingsValue = this.#settings.read(() => ({ displayName: identity.name, autoAcceptKnownPeers: false }));
    if (nameOverride) this.#settingsValue = { ...this.#settingsValue, displayName: nameOverride };
    this.#settings.write(this.#settingsValue);
    this.#knownValue = this.#known.read(() => []);
  }

  get local(): PeerInfo {
    return { id: this.peerId, name: this.#settingsValue.displayName };
  }

  get settings(): Settings {
    return { ...this.#settingsValue };
  }

  updateSettings(change: Partial<Settings>): Settings {
    // A field given as undefined (a structured clone carries it) is a field not given.
    this.#settingsValue = Settings.parse({ ...this.#settingsValue, ...withoutUndefined(change) });
    this.#settings.write(this.#settingsValue);
    return this.settings;
  }

  get knownPeers(): KnownPeer[] {
    return this.#knownValue.map((peer) => ({ ...peer }));
  }

  isKnown(id: string | undefined): boolean {
    return id !== undefined && this.#knownValue.some((peer) => peer.id === id);
  }

  known(id: string | undefined): KnownPeer | undefined {
    const peer = this.#knownValue.find((known) => known.id === id);
    return peer && { ...peer };
  }

  /** Whether a known peer reconnects by itself. */
  setAutoConnect(id: string, autoConnect: boolean): KnownPeer {
    const peer = this.#knownValue.find((known) => known.id === id);
    if (!peer) throw new WhatNextError('unknown_peer', `There is no known peer with id ${id}.`);
    const entry = { ...peer, autoConnect };
    this.#knownValue = this.#knownValue.map((known) => (known.id === id ? entry : known));
    this.#known.write(this.#knownValue);
    return { ...entry };
  }

  /** Remember a peer after an approved connection opened. */
  remember(peer: PeerInfo, method: string, now = Date.now()): void {
    const existing = this.#knownValue.find((known) => known.id === peer.id);
    const entry: KnownPeer = {
      id: peer.id,
      name: peer.name,
      approvedAt: existing?.approvedAt ?? now,
      lastSeenAt: now,
      lastMethod: method,
      autoConnect: existing?.autoConnect ?? true,
    };
    this.#knownValue = [...this.#knownValue.filter((known) => known.id !== peer.id), entry];
    this.#known.write(this.#knownValue);
  }

  /** A known peer's connection ended: it was there until now. */
  seen(id: string, now = Date.now()): void {
    if (!this.isKnown(id)) return;
    this.#knownValue = this.#knownValue.map((known) => (known.id === id ? { ...known, lastSeenAt: now } : known));
    this.#known.write(this.#knownValue);
  }

  forget(id: string): void {
    this.#knownValue = this.#knownValue.filter((known) => known.id !== id);
    this.#known.write(this.#knownValue);
  }
}
