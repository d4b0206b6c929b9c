/**
 * Probing the lab from the test process: agents (agent.ts) started in namespaces, the mapping
 * a router gives a UDP socket as a reflector sees it, and the packet counters of a router's
 * tagged rules (the evidence that a packet was dropped, and by which rule).
 */
import { fileURLToPath } from 'node:url';
import type { AgentCommand, AgentReply, Endpoint } from './agent';
import type { LabNamespace } from './lab';
import type { LabNodeProcess } from './processes';
import { ruleCount, type RuleName } from './routers';
import { pollUntil } from './wait';

export type Agent = LabNodeProcess<AgentCommand, AgentReply>;

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));
const WAIT_MS = 10_000;

export async function startAgent(where: LabNamespace, name: string): Promise<Agent> {
  const agent = where.spawnNode<AgentCommand, AgentReply>(name, AGENT);
  await agent.next('ready', 30_000);
  return agent;
}

/** Opens UDP socket `socket` on `agent` (a reflector answers every datagram with where it came
 * from). Resolves with its port. */
export async function bindUdp(agent: Agent, socket: string, options: { address?: string; port?: number; reflect?: boolean } = {}): Promise<number> {
  agent.send({ type: 'udp-bind', socket, ...options });
  return (await agent.next('udp-bound', WAIT_MS, (r) => r.socket === socket)).port;
}

const sameEndpoint = (a: Endpoint, b: Endpoint) => a.address === b.address && a.port === b.port;

/** Sends from `socket` to the reflector at `to` and resolves with the address and port the
 * reflector saw: the socket's mapping towards `to`. */
export async function mappingTowards(agent: Agent, socket: string, to: Endpoint): Promise<Endpoint> {
  agent.send({ type: 'udp-send', socket, to, text: 'probe' });
  const answer = await agent.next('udp-received', WAIT_MS, (r) => r.socket === socket && sameEndpoint(r.from, to) && r.text.startsWith('mapped '));
  const [address = '', port = ''] = answer.text.slice('mapped '.length).split(':');
  return { address, port: Number(port) };
}

/** Packets counted so far by the router's rule `name`. */
export async function counted(router: LabNamespace, name: RuleName): Promise<number> {
  return ruleCount(await router.exec('iptables-save', ['-c']), name);
}

/** Waits (a bounded poll) until the router's rule `name` counted more than `before`. */
export function countedMoreThan(router: LabNamespace, name: RuleName, before: number): Promise<number> {
  return pollUntil(`rule "${name}" in ${router.namespace} to count a packet`, async () => {
    const now = await counted(router, name);
    return now > before ? now : undefined;
  });
}
