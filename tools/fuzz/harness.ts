/**
 * Runs fuzz inputs against a real service (over its IPC port, as Electron's main and the tests
 * talk to it) and a real browser shell (over its page WebSocket, with its own service), and
 * counts what must never happen:
 *
 * - crashed: the service or the shell process ended (it is restarted and the run goes on);
 * - hung: a request with an id got no answer within `answerTimeoutMs`, or a malformed frame did
 *   not get its socket closed, or a liveness check went unanswered;
 * - untyped: an error answer that does not say what was wrong (`internal_error`, an empty
 *   message) or an answer that is not a protocol message.
 *
 * and reads each process's resident memory before and after.
 */
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { Response } from '../../core/protocol';
import type { AttemptSummary } from '../../core/protocol/shapes';
import { startBroker, type Broker } from '../../plugins/peerjs/broker';
import { spawnService, type SpawnedService } from '../../host/service/testing/spawn';
import { startShellProcess, type Shell } from '../../host/web/testing/shell-process';
import { decodeWire, encodeWire } from '../../host/web/wire';
import { nextInput, type FuzzInput, type Seeds } from './inputs';
import { Random } from './random';
import { rssMiB } from '../testing/rss';

const CONFIG = fileURLToPath(new URL('./fuzz.config.ts', import.meta.url));
const SOCKET_PATH = '/__whatnext/ws';

export interface FuzzOptions {
  inputs: number;
  seed: number;
  /** Where the services and the shell keep their data (a temporary folder the caller removes). */
  workDir: string;
  /** How long an answer may take before the input counts as hung. */
  answerTimeoutMs?: number;
  /** Inputs in flight at once. */
  concurrency?: number;
  onProgress?: (done: number, report: FuzzReport) => void;
}

export interface Finding {
  input: number;
  kind: FuzzInput['kind'];
  what: string;
}

export interface FuzzReport {
  inputs: number;
  seed: number;
  crashed: number;
  hung: number;
  untyped: number;
  /** Resident memory in MiB, after the warm-up and at the end. */
  rss: { service: [number, number]; shell: [number, number]; shellService: [number, number] };
  /** The first findings of each kind, to replay. */
  findings: Finding[];
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const answerTimeoutMs = options.answerTimeoutMs ?? 15_000;
  const random = new Random(options.seed);
  const report: FuzzReport = {
    inputs: 0,
    seed: options.seed,
    crashed: 0,
    hung: 0,
    untyped: 0,
    rss: { service: [0, 0], shell: [0, 0], shellService: [0, 0] },
    findings: [],
  };
  const find = (finding: Finding) => {
    if (report.findings.filter((f) => f.what === finding.what).length < 3) report.findings.push(finding);
  };

  const broker = await startBroker();
  const targets = new Targets(options.workDir, broker);
  try {
    await targets.start();
    const seeds = await gatherSeeds(targets, broker.port);
    report.rss = {
      service: [rssMiB(targets.service.child.pid), 0],
      shell: [rssMiB(targets.shell.child.pid!), 0],
      shellService: [rssMiB(targets.shell.servicePid), 0],
    };

    let next = 0;
    const worker = async () => {
      while (next < options.inputs) {
        const index = next++;
        const input = nextInput(random, seeds);
        const outcome = await targets.send(input, answerTimeoutMs);
        const done = ++report.inputs;
        if (outcome !== 'ok') {
          report[outcome.kind]++;
          find({ input: index, kind: input.kind, what: outcome.what });
        }
        if (done % 250 === 0) {
          for (const lost of await targets.checkAlive(answerTimeoutMs)) {
            report[lost.kind]++;
            find({ input: index, kind: input.kind, what: lost.what });
          }
          // The count this worker reached: the others went on meanwhile.
          options.onProgress?.(done, report);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    for (const lost of await targets.checkAlive(answerTimeoutMs)) {
      report[lost.kind]++;
      find({ input: options.inputs, kind: 'ipc-request', what: lost.what });
    }
    report.rss.service[1] = rssMiB(targets.service.child.pid);
    report.rss.shell[1] = rssMiB(targets.shell.child.pid!);
    report.rss.shellService[1] = rssMiB(targets.shell.servicePid);
  } finally {
    await targets.stop();
    await broker.close();
  }
  return report;
}

type Outcome = 'ok' | { kind: 'crashed' | 'hung' | 'untyped'; what: string };

/** The processes under test, restarted when one dies, and the ways to reach them. */
class Targets {
  service!: SpawnedService;
  shell!: Shell;
  #page: WebSocket | undefined;
  #pageAnswers = new Map<number, (message: unknown) => void>();
  #ipcAnswers = new Map<number, (message: unknown) => void>();
  #nextId = 1;

  constructor(
    private readonly workDir: string,
    private readonly broker: Broker,
  ) {}

  async start(): Promise<void> {
    await Promise.all([this.#startService(), this.#startShell()]);
  }

  async #startService(): Promise<void> {
    this.service = await spawnService({
      name: 'Fuzzed',
      config: CONFIG,
      dataDir: join(this.workDir, 'service'),
      env: { WHATNEXT_FUZZ_BROKER_PORT: String(this.broker.port) },
    });
    this.service.port.onMessage((message) => {
      const { type, id } = message as { type?: unknown; id?: unknown };
      if (type === 'response' && typeof id === 'number') this.#ipcAnswers.get(id)?.(message);
    });
  }

  async #startShell(): Promise<void> {
    // The relay is under test, not the app: a one-line page stands in for the built renderer.
    const dist = join(this.workDir, 'page');
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>fuzz</title>');
    this.shell = await startShellProcess({
      name: 'Fuzzed',
      dataDir: join(this.workDir, 'shell'),
      config: CONFIG,
      distDir: dist,
      env: { WHATNEXT_FUZZ_BROKER_PORT: String(this.broker.port) },
    });
    this.#page = undefined;
  }

  async stop(): Promise<void> {
    this.#page?.terminate();
    await Promise.allSettled([this.service?.stop(), this.shell?.stop()]);
  }

  /** Restart what died; each death is a crash. */
  async #revive(): Promise<Outcome> {
    const serviceDead = this.service.child.pid > 0 && !alive(this.service.child.pid);
    const shellDead = this.shell.child.exitCode !== null || this.shell.child.signalCode !== null;
    if (serviceDead) {
      const { code, signal } = await this.service.exited;
      const log = this.service.stderr().slice(-1500);
      await this.#startService();
      return { kind: 'crashed', what: `the service process ended (code ${code}, signal ${signal}); its log ended with:\n${log}` };
    }
    if (shellDead) {
      const code = await this.shell.exited;
      const log = this.shell.output().slice(-1500);
      await this.#startShell();
      return { kind: 'crashed', what: `the browser shell ended (code ${code}); its log ended with:\n${log}` };
    }
    return 'ok';
  }

  async checkAlive(timeoutMs: number): Promise<Exclude<Outcome, 'ok'>[]> {
    const problems: Exclude<Outcome, 'ok'>[] = [];
    const revived = await this.#revive();
    if (revived !== 'ok') problems.push(revived);
    const status = await within(this.service.client.request('service.status', {}), timeoutMs).catch((error: unknown) => error);
    if (status === TIMED_OUT) problems.push({ kind: 'hung', what: 'the service did not answer service.status' });
    const page = await within(this.#pageRequest('service.status', {}), timeoutMs).catch((error: unknown) => error);
    if (page === TIMED_OUT) problems.push({ kind: 'hung', what: 'the shell did not answer service.status' });
    return problems;
  }

  async send(input: FuzzInput, timeoutMs: number): Promise<Outcome> {
    const outcome = await this.#deliver(input, timeoutMs).catch((error: unknown): Outcome =>
      error === TIMED_OUT ? { kind: 'hung', what: `no answer to ${describeInput(input)}` } : 'ok',
    );
    if (outcome !== 'ok' && outcome.kind === 'hung') {
      const revived = await this.#revive();
      if (revived !== 'ok') return revived;
    }
    return outcome;
  }

  async #deliver(input: FuzzInput, timeoutMs: number): Promise<Outcome> {
    switch (input.kind) {
      case 'ipc-request': {
        const id = this.#nextId++;
        // Extra keys go first: they may not take the place of the id the answer is matched by.
        const message = { ...input.extra, type: 'request', id, method: input.method, params: input.params };
        // What V8 cannot read back, Node's IPC cannot deliver: the service drops it unread and
        // can answer nothing. Messages that arrived with it are read with the next data
        // (process-guards.ts), so a request follows it, and must be answered.
        if (!readable(message)) {
          this.service.port.send(message);
          return classify(await within(this.#ipcRequest('service.status', {}), timeoutMs), input);
        }
        const answer = this.#ipcAnswer(id);
        this.service.port.send(message);
        return classify(await within(answer, timeoutMs), input);
      }
      case 'ipc-junk':
        this.service.port.send(input.message);
        return 'ok';
      case 'ws-request': {
        const answer = await within(this.#pageRequest(input.method, input.params), timeoutMs);
        return classify(answer, input);
      }
      case 'ws-text': {
        const socket = await this.#pageSocket();
        socket.send(input.text);
        return 'ok';
      }
      case 'ws-frame':
        return this.#rawFrame(input.frame, timeoutMs);
    }
  }

  #ipcAnswer(id: number): Promise<unknown> {
    return awaitAnswer(this.#ipcAnswers, id);
  }

  #ipcRequest(method: string, params: unknown): Promise<unknown> {
    const id = this.#nextId++;
    const answer = this.#ipcAnswer(id);
    this.service.port.send({ type: 'request', id, method, params });
    return answer;
  }

  async #pageSocket(): Promise<WebSocket> {
    if (this.#page && this.#page.readyState === WebSocket.OPEN) return this.#page;
    const url = `${this.shell.url.replace(/^http/, 'ws').replace(/\/$/, '')}${SOCKET_PATH}`;
    const socket = new WebSocket(url, { origin: new URL(this.shell.url).origin });
    socket.on('error', () => {});
    socket.on('message', (data: Buffer) => {
      let message: unknown;
      try {
        message = decodeWire(data.toString());
      } catch {
        return;
      }
      const id = (message as { id?: unknown }).id;
      if (typeof id === 'number') this.#pageAnswers.get(id)?.(message);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('close', () => reject(new Error('the shell closed the page socket')));
    });
    this.#page = socket;
    return socket;
  }

  async #pageRequest(method: string, params: unknown): Promise<unknown> {
    const socket = await this.#pageSocket();
    const id = 1_000_000 + this.#nextId++;
    const answer = awaitAnswer(this.#pageAnswers, id);
    socket.send(encodeWire({ type: 'request', id, method, params }));
    return answer;
  }

  /** Upgrade a socket by hand, write `frame`, and expect the shell to close it. */
  async #rawFrame(frame: Buffer, timeoutMs: number): Promise<Outcome> {
    const { hostname, port, host, origin } = new URL(this.shell.url);
    const socket: Socket = connect(Number(port), hostname);
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    try {
      socket.write(
        `GET ${SOCKET_PATH} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      await within(new Promise<void>((resolve) => socket.once('data', () => resolve())), timeoutMs);
      socket.write(frame);
      // A frame the shell can read (a text frame of random bytes, say) leaves the socket open:
      // it answers or waits for more. Ending our side must end the socket too.
      socket.end();
      await within(closed, timeoutMs);
      return 'ok';
    } finally {
      socket.destroy();
    }
  }
}

/** Whether an answer says what was wrong, in the protocol's shape. */
function classify(answer: unknown, input: FuzzInput): Outcome {
  const parsed = Response.safeParse(answer);
  if (!parsed.success) return { kind: 'untyped', what: `an answer that is not a protocol response to ${describeInput(input)}` };
  const response = parsed.data;
  if (response.ok) return 'ok';
  if (response.error.code === 'internal_error' || !response.error.message.trim()) {
    return { kind: 'untyped', what: `${response.error.code} "${response.error.message.slice(0, 200)}" for ${describeInput(input)}` };
  }
  return 'ok';
}

/** A real invite on the fuzzed service, opened and answered by the shell's service, so that
 * links, invite codes and reply codes mutate from real ones. */
async function gatherSeeds(targets: Targets, brokerPort: number): Promise<Seeds> {
  const client = targets.service.client;
  const questioned = client.waitFor('attempt.updated', (a: AttemptSummary) => !!a.invite && !!a.question);
  await client.request('attempts.invite', { method: 'manual' });
  const invite = await questioned;
  const page = await pageClient(targets.shell);
  try {
    const opened = (await page.request('links.open', { link: invite.invite!.link })) as { result: AttemptSummary };
    const shown = page.waitFor(
      (m) => m.event === 'attempt.updated' && (m.data as AttemptSummary).id === opened.result.id && (m.data as AttemptSummary).displays.length > 0,
    );
    await page.request('attempts.approve', { attemptId: opened.result.id });
    const replyCode = ((await shown).data as AttemptSummary).displays[0]!.code!;
    return { inviteLink: invite.invite!.link, inviteCode: invite.invite!.code!, attemptId: invite.id, questionId: invite.question!.id, replyCode, brokerPort };
  } finally {
    page.close();
  }
}

/** A minimal page client of the shell, for setting things up. */
async function pageClient(shell: Shell) {
  const socket = new WebSocket(`${shell.url.replace(/^http/, 'ws').replace(/\/$/, '')}${SOCKET_PATH}`, { origin: new URL(shell.url).origin });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const listeners = new Set<(message: Record<string, unknown>) => void>();
  socket.on('message', (data: Buffer) => {
    const message = decodeWire(data.toString()) as Record<string, unknown>;
    for (const listener of [...listeners]) listener(message);
  });
  let id = 0;
  const waitFor = (predicate: (message: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const listener = (message: Record<string, unknown>) => {
        if (!predicate(message)) return;
        listeners.delete(listener);
        resolve(message);
      };
      listeners.add(listener);
    });
  return {
    waitFor,
    async request(method: string, params: unknown) {
      const mine = ++id;
      const answer = waitFor((m) => m.type === 'response' && m.id === mine);
      socket.send(encodeWire({ type: 'request', id: mine, method, params }));
      const response = await answer;
      if (!response.ok) throw new Error(`${method} failed: ${JSON.stringify(response.error)}`);
      return response;
    },
    close: () => socket.close(),
  };
}

/** The answer with `id`, once it comes. Entries of answers that never come are dropped after a
 * minute, so a hung service does not grow the fuzzer. */
function awaitAnswer(waiting: Map<number, (message: unknown) => void>, id: number): Promise<unknown> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => waiting.delete(id), 60_000);
    waiting.set(id, (message) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(message);
    });
  });
}

const TIMED_OUT = Symbol('timed out');

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(TIMED_OUT), ms)))]).finally(() => clearTimeout(timer));
}

/** The input in a line: its kind, method, and the size of what was sent, to tell a finding
 * apart from its neighbours (replay with the same seed for the input itself). */
function describeInput(input: FuzzInput): string {
  const detail = 'method' in input ? ` ${input.method}` : '';
  let size = '';
  try {
    size = ` (${serialize('params' in input ? input.params : input).byteLength} bytes)`;
  } catch {
    size = ' (unserializable)';
  }
  return `${input.kind}${detail}${size}`;
}

/** Whether a value survives V8's serializer and deserializer, which Node's IPC uses. */
function readable(message: unknown): boolean {
  try {
    deserialize(serialize(message));
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
