/**
 * A network lab built from Linux network namespaces, for tests (run as root; see support.ts).
 *
 *   public segment   namespace `<id>-pub` holding a bridge with 172.16.0.1/24 (and .2, for
 *                    probes needing a second server address): the "internet". The lab's
 *                    servers (coturn) run in this namespace on 172.16.0.1.
 *   host, kind none  namespace `<id>-<name>` on the bridge itself, 172.16.0.<10+i>/24.
 *   host behind NAT  namespace `<id>-<name>` with 10.0.<i>.2/24 and a default route to its
 *                    router, namespace `<id>-<name>-r`: 10.0.<i>.1/24 on the lan side,
 *                    172.16.0.<10+i>/24 on the bridge, rules of its kind (routers.ts).
 *
 * Every address is private and lives only in namespaces the lab made; nothing in them routes
 * anywhere else, and nothing is added to the root namespace (each veth is created inside a lab
 * namespace with its peer in another). `close()` kills every process still in a lab
 * namespace, deletes the namespaces (their interfaces and rules go with them) and the temp
 * folder; it is safe to call twice, and runs on process exit if a test never called it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, run, runIn, type RunOptions } from './exec';
import { killNamespacePids, listNamespaces, nextLabId, sweepLeftovers } from './names';
import { LabNodeProcess, LabProcess, type LabProcessOptions } from './processes';
import { routerRules, type RouterKind } from './routers';

/** The public segment, first and last address. */
export const PUBLIC_RANGE = ['172.16.0.0', '172.16.0.255'] as const;
/** The servers' address on the public segment. */
export const SERVER_ADDRESS = '172.16.0.1';
/** A second address of the public namespace, for probes that need two server addresses. */
export const SECOND_SERVER_ADDRESS = '172.16.0.2';
const MAX_HOSTS = 35;
const HOST_NAME = /^[a-z][a-z0-9]{0,11}$/;

/** A namespace of the lab, where commands and processes can run. */
export interface LabNamespace {
  readonly namespace: string;
  /** Runs a command inside the namespace; resolves with its stdout. */
  exec(command: string, args: readonly string[], options?: RunOptions): Promise<string>;
  /** Starts a long-running command inside the namespace; the lab kills it at close. */
  spawn(name: string, command: string, args: readonly string[], options?: LabProcessOptions): LabProcess;
  /** Starts `node --import tsx <script>` inside the namespace, with an IPC channel. */
  spawnNode<Command, Reply extends { type: string }>(
    name: string,
    script: string,
    args?: readonly string[],
    options?: LabProcessOptions,
  ): LabNodeProcess<Command, Reply>;
}

export interface LabHost extends LabNamespace {
  readonly name: string;
  readonly kind: RouterKind;
  /** The host's own address: private behind a router, public for kind 'none'. */
  readonly address: string;
  /** Where the host's traffic appears on the public segment (the router's, or its own). */
  readonly publicAddress: string;
  /** The router's namespace (absent for kind 'none'). */
  readonly router?: LabNamespace;
}

export interface Lab {
  readonly id: string;
  /** The lab's temp folder (certificates, configs, logs); removed at close. */
  readonly dir: string;
  /** The public segment's namespace, where servers run on `SERVER_ADDRESS`. */
  readonly public: LabNamespace & { readonly address: string };
  /** Adds a host named `name` behind a router of `kind`. */
  host(name: string, kind: RouterKind): Promise<LabHost>;
  /** Every namespace the lab made so far (for checks). */
  namespaces(): readonly string[];
  close(): Promise<void>;
}

const open = new Set<LabImpl>();
let exitHookInstalled = false;

/** Builds the public segment of a new lab (sweeping leftovers of dead processes first). */
export async function createLab(): Promise<Lab> {
  await sweepLeftovers();
  const lab = new LabImpl(nextLabId());
  try {
    await lab.buildPublic();
    return lab;
  } catch (error) {
    await lab.close().catch(() => {});
    throw error;
  }
}

class LabImpl implements Lab {
  readonly dir: string;
  readonly public: LabNamespace & { address: string };
  #namespaces: string[] = [];
  #processes = new Set<LabProcess>();
  #hostNames = new Set<string>();
  #building = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(readonly id: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${id}-`));
    this.public = { ...this.#namespaceHandle(`${id}-pub`), address: SERVER_ADDRESS };
    open.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const lab of open) lab.closeSync();
      });
    }
  }

  namespaces(): readonly string[] {
    return [...this.#namespaces];
  }

  async buildPublic(): Promise<void> {
    const ns = await this.#addNamespace(this.public.namespace);
    await this.#ip(ns, [
      `link add name ${this.#bridge} type bridge`,
      `link set ${this.#bridge} up`,
      `addr add ${SERVER_ADDRESS}/24 dev ${this.#bridge}`,
      `addr add ${SECOND_SERVER_ADDRESS}/24 dev ${this.#bridge}`,
    ]);
  }

  host(name: string, kind: RouterKind): Promise<LabHost> {
    if (this.#closing) return Promise.reject(new LabError(`netlab: lab ${this.id} is closed`));
    if (!HOST_NAME.test(name)) return Promise.reject(new LabError(`netlab: host name "${name}" must match ${HOST_NAME}`));
    if (this.#hostNames.has(name)) return Promise.reject(new LabError(`netlab: lab ${this.id} has a host "${name}" already`));
    const index = this.#hostNames.size + 1;
    if (index > MAX_HOSTS) return Promise.reject(new LabError(`netlab: a lab holds at most ${MAX_HOSTS} hosts`));
    // Reserved now, not when built: hosts may be added concurrently.
    this.#hostNames.add(name);
    const building = this.#buildHost(name, kind, index);
    this.#building.add(building);
    return building.finally(() => this.#building.delete(building));
  }

  async #buildHost(name: string, kind: RouterKind, index: number): Promise<LabHost> {
    const i = index.toString(36);
    const publicAddress = `172.16.0.${10 + index}`;
    const port = `${this.id}${i}p`; // the bridge's side of the host's or router's link
    const wan = `${this.id}${i}w`;
    const pub = this.public.namespace;
    const hostNs = await this.#addNamespace(`${this.id}-${name}`);
    let host: LabHost;
    if (kind === 'none') {
      await this.#ip(pub, [
        `link add name ${port} type veth peer name ${wan} netns ${hostNs}`,
        `link set ${port} master ${this.#bridge}`,
        `link set ${port} up`,
      ]);
      await this.#ip(hostNs, [`addr add ${publicAddress}/24 dev ${wan}`, `link set ${wan} up`]);
      host = { name, kind, address: publicAddress, publicAddress, ...this.#namespaceHandle(hostNs) };
    } else {
      const routerNs = await this.#addNamespace(`${this.id}-${name}-r`);
      const lan = `${this.id}${i}l`;
      const inside = `${this.id}${i}h`;
      const address = `10.0.${index}.2`;
      // Rules first (they name interfaces that do not exist yet), then forwarding: the router
      // never forwards a packet its rules have not seen.
      await runIn(routerNs, 'iptables-restore', [], { input: routerRules(kind, wan, lan) });
      await runIn(routerNs, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      await this.#ip(pub, [
        `link add name ${port} type veth peer name ${wan} netns ${routerNs}`,
        `link set ${port} master ${this.#bridge}`,
        `link set ${port} up`,
      ]);
      await this.#ip(routerNs, [
        `addr add ${publicAddress}/24 dev ${wan}`,
        `link set ${wan} up`,
        `link add name ${lan} type veth peer name ${inside} netns ${hostNs}`,
        `addr add 10.0.${index}.1/24 dev ${lan}`,
        `link set ${lan} up`,
      ]);
      await this.#ip(hostNs, [`addr add ${address}/24 dev ${inside}`, `link set ${inside} up`, `route add default via 10.0.${index}.1`]);
      host = { name, kind, address, publicAddress, router: this.#namespaceHandle(routerNs), ...this.#namespaceHandle(hostNs) };
    }
    return host;
  }

  get #bridge(): string {
    return `${this.id}br`;
  }

  /** Creates a namespace with loopback up and IPv6 off (the lab is IPv4 only: no link-local
   * addresses for WebRTC to gather, no second path around the NAT). */
  async #addNamespace(namespace: string): Promise<string> {
    if (this.#closing) throw new LabError(`netlab: lab ${this.id} is closed`);
    // Recorded first, so that a failure half-way still gets it deleted.
    this.#namespaces.push(namespace);
    await run('ip', ['netns', 'add', namespace]);
    await runIn(namespace, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    await this.#ip(namespace, ['link set lo up']);
    return namespace;
  }

  /** Runs `ip` commands in `namespace`, in one process. */
  #ip(namespace: string, commands: string[]): Promise<string> {
    return run('ip', ['-n', namespace, '-batch', '-'], { input: `${commands.join('\n')}\n` });
  }

  #namespaceHandle(namespace: string): LabNamespace {
    const track = <P extends LabProcess>(proc: P): P => {
      if (this.#closing) {
        void proc.stop();
        throw new LabError(`netlab: lab ${this.id} is closed`);
      }
      this.#processes.add(proc);
      void proc.exited.then(() => this.#processes.delete(proc));
      return proc;
    };
    return {
      namespace,
      exec: (command, args, options) => runIn(namespace, command, args, options),
      spawn: (name, command, args, options) => track(new LabProcess(name, namespace, command, args, options)),
      spawnNode: <Command, Reply extends { type: string }>(name: string, script: string, args: readonly string[] = [], options?: LabProcessOptions) =>
        track(new LabNodeProcess<Command, Reply>(name, namespace, script, args, options)),
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#teardown();
    return this.#closing;
  }

  async #teardown(): Promise<void> {
    const failures: string[] = [];
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message}`);
      }
    };
    await Promise.allSettled([...this.#building]);
    await Promise.all([...this.#processes].map((proc) => attempt(`stop ${proc.name}`, () => proc.stop())));
    // Hosts first, then routers, then the public segment: each namespace empty of processes
    // (a grandchild a process left behind included) before it goes.
    const existing = new Set(await listNamespaces().catch(() => this.#namespaces));
    for (const namespace of [...this.#namespaces].reverse().filter((ns) => existing.has(ns))) {
      await attempt(`kill processes in ${namespace}`, () => killNamespacePids(namespace));
      await attempt(`delete ${namespace}`, () => run('ip', ['netns', 'delete', namespace]));
    }
    rmSync(this.dir, { recursive: true, force: true });
    open.delete(this);
    if (failures.length > 0) throw new LabError(`netlab: lab ${this.id} was not removed cleanly:\n${failures.join('\n')}`);
  }

  /** Last resort at process exit (no async work possible): kill and delete synchronously. */
  closeSync(): void {
    for (const proc of this.#processes) {
      try {
        if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    for (const namespace of [...this.#namespaces].reverse()) {
      try {
        for (const pid of execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' }).split('\n').map(Number)) {
          if (pid > 0) process.kill(pid, 'SIGKILL');
        }
        execFileSync('ip', ['netns', 'delete', namespace], { stdio: 'ignore' });
      } catch {
        // Best effort; the next lab's sweep removes what is left.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `body` with a fresh lab and removes the lab afterwards, whether `body` succeeded or
 * threw. */
export async function withLab<T>(body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab();
  try {
    return await body(lab);
  } finally {
    await lab.close();
  }
}
