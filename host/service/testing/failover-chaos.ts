/**
 * Failover chaos on loopback: two real service processes paired once, with both broker methods
 * (a real PeerServer and a real Mosquitto, each on a free loopback port), whose brokers are
 * killed and started again under them. Shared by host/service/test/failover.test.ts (each case
 * once) and `npm run chaos` (each case 20+ times, with figures). Everything it starts, `close()`
 * stops (the services, both brokers, their folders).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttemptSummary, ConnectionSummary, ErrorInfo, MethodInfo, Settings } from '../../../core/protocol';
import type { SignalingHealth } from '../../../core/contracts/signaling';
import type { ServiceClient } from '../../../core/protocol/client';
import { startBroker, type Broker } from '../../../plugins/peerjs';
import { startMosquitto, type Mosquitto } from '../../../plugins/mqtt/testing/mosquitto';
import { Tracker, connectBroker } from './flows';
import { spawnService, type SpawnedService } from './spawn';
import { tempDir } from './temp-dirs';

const CONFIG = fileURLToPath(new URL('./fixtures/failover.config.ts', import.meta.url));

export const METHODS = ['peerjs', 'mqtt'] as const;
export type BrokerMethod = (typeof METHODS)[number];

export interface Side {
  name: string;
  id: string;
  service: SpawnedService;
  tracker: Tracker;
}

/** One reconnection: how long it took and which method carried it (on both sides). */
export interface Reconnected {
  ms: number;
  method: string;
  /** The attempts the dialling side made, in order (method and how each ended). */
  tried: { method: string; state: AttemptSummary['state']; message?: string }[];
}

/** What a side says with both brokers down. */
export interface AllDown {
  /** Per method, its health on each side. */
  health: Record<string, (SignalingHealth | undefined)[]>;
  /** What "Reconnect" answered, and how long it took to answer. */
  reconnect: { error?: ErrorInfo; ms: number };
  /** Attempts still under way on either side afterwards (nothing may hang). */
  underWay: string[];
}

/** How long any one step may take before the lab gives up on it, saying what it waited for. */
const STEP_LIMIT_MS = 60_000;

async function within<T>(what: string, work: Promise<T>, detail: () => string = () => ''): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${STEP_LIMIT_MS / 1000} s ${detail()}`)), STEP_LIMIT_MS);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs come faster than the 10 requests a minute a peer accepts from another by default: a
 * refusal by that policy is not what this lab measures. Saved in the data folder before the
 * service starts, as a user's settings. */
function withRelaxedRateLimit(dataDir: string): string {
  const settings: Settings = { displayName: 'Chaos', autoAcceptKnownPeers: false, pluginOptions: { 'rate-limit': { perMinute: 1000 } } };
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify(settings));
  return dataDir;
}

const isUp = (health: SignalingHealth | undefined) => health?.state === 'connected';

/** Resolves once `method`'s health on `client` satisfies `ok` (an event, or the listing now). */
export async function methodHealth(
  client: ServiceClient,
  method: string,
  ok: (health: SignalingHealth | undefined) => boolean,
): Promise<SignalingHealth | undefined> {
  let off: (() => void) | undefined;
  const heard = new Promise<SignalingHealth>((resolve) => {
    off = client.on('signaling.health', (report) => {
      if (report.method === method && ok(report.health)) resolve(report.health);
    });
  });
  try {
    const listed = (await client.request('signaling.list', {})).find((m: MethodInfo) => m.name === method)?.health;
    if (ok(listed)) return listed;
    return await heard;
  } finally {
    off?.();
  }
}

export class ChaosLab {
  #peerjs: Broker | undefined;
  /** A second PeerServer, for a peer registered where the other is not. */
  #elsewhere: Broker | undefined;
  readonly #running = new Set<SpawnedService>();

  private constructor(
    readonly brokerPort: number,
    readonly mosquitto: Mosquitto,
    peerjs: Broker,
  ) {
    this.#peerjs = peerjs;
  }

  alice!: Side;
  bob!: Side;

  /** Both brokers, Alice and Bob, paired once through the PeerJS broker. */
  static async create(): Promise<ChaosLab> {
    const mosquitto = await startMosquitto();
    let peerjs: Broker;
    try {
      peerjs = await startBroker({ port: 0 });
    } catch (error) {
      await mosquitto.stop();
      throw error;
    }
    const lab = new ChaosLab(peerjs.port, mosquitto, peerjs);
    try {
      [lab.alice, lab.bob] = await Promise.all([lab.#start('Alice'), lab.#start('Bob')]);
      await Promise.all([lab.alice, lab.bob].flatMap((side) => METHODS.map((m) => methodHealth(side.service.client, m, isUp))));
      await connectBroker(lab.alice.tracker, lab.bob.tracker, 'peerjs');
    } catch (error) {
      await lab.close();
      throw error;
    }
    return lab;
  }

  async #start(name: string, dataDir?: string, env: NodeJS.ProcessEnv = {}): Promise<Side> {
    const service = await spawnService({
      name,
      config: CONFIG,
      dataDir: dataDir ?? withRelaxedRateLimit(tempDir('whatnext-chaos-')),
      env: { WHATNEXT_TEST_BROKER_PORT: String(this.brokerPort), WHATNEXT_TEST_MQTT_URL: this.mosquitto.url, ...env },
    });
    this.#running.add(service);
    void service.exited.then(() => this.#running.delete(service));
    const id = (await service.client.request('service.status', {})).local.id;
    return { name, id, service, tracker: new Tracker(service.client) };
  }

  #sides(): Side[] {
    return [this.alice, this.bob];
  }

  /** Until `method` is down (or up) on both sides, as their health says. */
  async #health(method: BrokerMethod, up: boolean): Promise<void> {
    await within(
      `${method} ${up ? 'up' : 'down'} on both sides`,
      Promise.all(this.#sides().map((side) => methodHealth(side.service.client, method, (h) => isUp(h) === up))),
    );
  }

  /** What each side tried last, for a failure's message. */
  #tried(): string {
    return this.#sides()
      .map(
        (side) =>
          `${side.name}: ${[...side.tracker.attempts.values()]
            .slice(-4)
            .map((a) => `${a.role} ${a.method} ${a.state} at ${a.stage} ${a.error?.message ?? ''}`)
            .join('; ')}`,
      )
      .join(' | ');
  }

  /** The environment of a Bob registered on a PeerServer of his own (Alice's PeerJS is up, and
   * silent about him). */
  async elsewhere(): Promise<NodeJS.ProcessEnv> {
    this.#elsewhere ??= await startBroker({ port: 0 });
    return { WHATNEXT_TEST_BROKER_PORT: String(this.#elsewhere.port) };
  }

  async down(method: BrokerMethod): Promise<void> {
    if (method === 'peerjs') {
      await this.#peerjs?.close();
      this.#peerjs = undefined;
    } else {
      await this.mosquitto.kill();
    }
    await this.#health(method, false);
  }

  async up(method: BrokerMethod): Promise<void> {
    if (method === 'peerjs') this.#peerjs ??= await startBroker({ port: this.brokerPort });
    else await this.mosquitto.restart();
    await this.#health(method, true);
  }

  /** The order both sides try the methods in. */
  async order(order: readonly BrokerMethod[]): Promise<void> {
    await Promise.all(this.#sides().map((side) => side.service.client.request('settings.update', { methodOrder: [...order] })));
  }

  /** Alice's open connection to Bob, and Bob's to Alice, other than those in `except`. */
  async #bothOpen(except: ReadonlySet<string>): Promise<[ConnectionSummary, ConnectionSummary]> {
    const open = (side: Side, remote: Side) => side.tracker.anyConnection((c) => c.remote.id === remote.id && c.state === 'open' && !except.has(c.id));
    return within('open again on both sides', Promise.all([open(this.alice, this.bob), open(this.bob, this.alice)]), () => this.#tried());
  }

  #known(): Set<string> {
    return new Set(this.#sides().flatMap((side) => [...side.tracker.connections.keys()]));
  }

  /** Alice ends her connection to Bob ("Disconnect"), once both see it closed. */
  async #disconnect(): Promise<void> {
    const open = (await this.alice.service.client.request('connections.list', {})).find((c) => c.remote.id === this.bob.id && c.state === 'open');
    if (!open) return;
    await this.alice.service.client.request('connections.close', { connectionId: open.id, reason: 'chaos' });
    await within(
      'closed on both sides',
      Promise.all(
        this.#sides().map((side) =>
          side.tracker.anyConnection((c) => c.remote.id !== side.id && (c.state === 'closed' || c.state === 'failed') && c.closeReason?.message === 'chaos'),
        ),
      ),
    );
    // Both sides' lists drop it once closed; wait for that so the next run sees no stale one.
    for (const side of this.#sides()) side.tracker.connections.clear();
  }

  /** "Disconnect", then Alice presses "Reconnect": how long until both sides are open again,
   * over which method, after which attempts. */
  async reconnect(): Promise<Reconnected> {
    await this.#disconnect();
    const before = this.#known();
    const earlier = new Set(this.alice.tracker.attempts.keys());
    const began = performance.now();
    await this.alice.service.client.request('peers.reconnect', { peerId: this.bob.id });
    const [atAlice, atBob] = await this.#bothOpen(before);
    const ms = performance.now() - began;
    if (atAlice.method !== atBob.method) throw new Error(`the sides disagree on the method: ${atAlice.method} / ${atBob.method}`);
    const tried = [...this.alice.tracker.attempts.values()]
      .filter((a) => a.role === 'reconnect' && !earlier.has(a.id))
      .map((a) => ({ method: a.method, state: a.state, ...(a.error && { message: a.error.message }) }));
    return { ms, method: atAlice.method, tried };
  }

  /** Bob stops and starts again: how long from his start until both sides are open again, and
   * over which method (he or Alice dialled by themselves). `env`: his fixture's switches. */
  async restartBob(env: NodeJS.ProcessEnv = {}): Promise<Reconnected> {
    const before = this.#known();
    const dataDir = this.bob.service.dataDir;
    const code = await this.bob.service.stop();
    if (code !== 0) throw new Error(`Bob exited with ${code}`);
    this.bob.tracker.stop();
    const began = performance.now();
    this.bob = await this.#start('Bob', dataDir, env);
    const [atAlice, atBob] = await this.#bothOpen(before);
    const ms = performance.now() - began;
    if (atAlice.method !== atBob.method) throw new Error(`the sides disagree on the method: ${atAlice.method} / ${atBob.method}`);
    return { ms, method: atAlice.method, tried: [] };
  }

  /** With both brokers down: what each side says, and what "Reconnect" does. */
  async allDown(): Promise<AllDown> {
    await this.#disconnect();
    const health: AllDown['health'] = {};
    for (const side of this.#sides()) {
      for (const method of await side.service.client.request('signaling.list', {})) (health[method.name] ??= []).push(method.health);
    }
    const began = performance.now();
    const error = await this.alice.service.client.request('peers.reconnect', { peerId: this.bob.id }).then(
      () => undefined,
      (e: unknown) => e as ErrorInfo,
    );
    const ms = performance.now() - began;
    const underWay = (
      await Promise.all(
        this.#sides().map(async (side) =>
          (await side.service.client.request('attempts.list', {})).map((a) => `${side.name}: ${a.role} ${a.method} ${a.state} at ${a.stage}`),
        ),
      )
    ).flat();
    return { health, reconnect: { ...(error && { error: { code: error.code, message: error.message } }), ms }, underWay };
  }

  /** Until Alice and Bob are connected again (after a broker came back), and over which method. */
  async connectedAgain(): Promise<string> {
    const [atAlice] = await this.#bothOpen(new Set());
    return atAlice.method;
  }

  async close(): Promise<number[]> {
    const codes = await Promise.all([...this.#running].map((service) => service.stop()));
    await this.#peerjs?.close();
    await this.#elsewhere?.close();
    await this.mosquitto.stop();
    return codes.map((code) => code ?? -1);
  }
}
