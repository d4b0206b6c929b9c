/**
 * Each router kind does what its name says (routers.ts), checked with UDP and TCP probes from
 * a host behind it to reflectors on the public segment: the mapping a reflector sees, which
 * unsolicited packets get in, and the counters of the rules that drop the rest.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, SECOND_SERVER_ADDRESS, SERVER_ADDRESS, type Lab, type LabHost } from './lab';
import { bindUdp, counted, countedMoreThan, mappingTowards, startAgent, type Agent } from './probe';
import { describeLab } from './support';

/** Three reflectors: R2 differs from R1 in port only, R3 in address only. */
const R1 = { address: SERVER_ADDRESS, port: 4001 };
const R2 = { address: SERVER_ADDRESS, port: 4002 };
const R3 = { address: SECOND_SERVER_ADDRESS, port: 4001 };
/** A public endpoint that sends first (a remote peer's early check). */
const EARLY = { address: SERVER_ADDRESS, port: 4003 };
const TCP = { address: SERVER_ADDRESS, port: 4100 };

describeLab('netlab routers', () => {
  let lab: Lab;
  let server: Agent;
  const hosts: Record<string, { host: LabHost; agent: Agent }> = {};

  beforeAll(async () => {
    lab = await createLab();
    const built = await Promise.all([lab.host('open', 'none'), lab.host('cone', 'cone'), lab.host('sym', 'symmetric'), lab.host('blocked', 'udp-blocked')]);
    const agents = await Promise.all([startAgent(lab.public, 'server'), ...built.map((host) => startAgent(host, `${host.name}-agent`))]);
    server = agents[0]!;
    built.forEach((host, i) => (hosts[host.name] = { host, agent: agents[i + 1]! }));
    for (const [socket, at] of [
      ['r1', R1],
      ['r2', R2],
      ['r3', R3],
      ['early', EARLY],
    ] as const)
      await bindUdp(server, socket, { ...at, reflect: true });
    server.send({ type: 'tcp-listen', ...TCP });
    await server.next('tcp-listening', 10_000);
  });

  afterAll(() => lab?.close());

  const mappings = async (name: string, socket: string) => {
    const { agent } = hosts[name]!;
    return [await mappingTowards(agent, socket, R1), await mappingTowards(agent, socket, R2), await mappingTowards(agent, socket, R3)];
  };

  it('none: the host is on the public segment, untranslated', async () => {
    const { host, agent } = hosts.open!;
    const port = await bindUdp(agent, 'a');
    expect(await mappings('open', 'a')).toEqual([1, 2, 3].map(() => ({ address: host.address, port })));
  });

  it('cone: one public port per host port whatever the destination (endpoint-independent mapping, port kept)', async () => {
    const { host, agent } = hosts.cone!;
    const port = await bindUdp(agent, 'a');
    const seen = await mappings('cone', 'a');
    console.log(`[netlab] cone: ${host.address}:${port} appears as ${seen.map((m) => `${m.address}:${m.port}`).join(', ')} to R1, R2, R3`);
    expect(seen).toEqual([1, 2, 3].map(() => ({ address: host.publicAddress, port })));
  });

  it('cone: a remote that sends first does not take the mapping (the INPUT drop)', async () => {
    const { host, agent } = hosts.cone!;
    const router = host.router!;
    const port = await bindUdp(agent, 'b');
    expect(await mappingTowards(agent, 'b', R1)).toEqual({ address: host.publicAddress, port });
    // The remote's check arrives before the host has sent anything to it...
    const before = await counted(router, 'unsolicited-input');
    server.send({ type: 'udp-send', socket: 'early', to: { address: host.publicAddress, port }, text: 'early check' });
    await countedMoreThan(router, 'unsolicited-input', before);
    // ...and the host's own packet to it still leaves from the port STUN would report.
    expect(await mappingTowards(agent, 'b', EARLY)).toEqual({ address: host.publicAddress, port });
  });

  for (const [name, kind] of [
    ['cone', 'cone'],
    ['sym', 'symmetric'],
  ] as const) {
    it(`${kind}: only the address and port a flow went to may answer (address and port-dependent filtering)`, async () => {
      const { host, agent } = hosts[name]!;
      const router = host.router!;
      await bindUdp(agent, 'c');
      const mapped = await mappingTowards(agent, 'c', R1);
      // R2 shares R1's address, R3 its port: both are dropped at the router's INPUT...
      const before = await counted(router, 'unsolicited-input');
      server.send({ type: 'udp-send', socket: 'r2', to: mapped, text: 'from R2' });
      server.send({ type: 'udp-send', socket: 'r3', to: mapped, text: 'from R3' });
      await countedMoreThan(router, 'unsolicited-input', before + 1);
      // ...while R1 gets through.
      server.send({ type: 'udp-send', socket: 'r1', to: mapped, text: 'from R1' });
      await agent.next('udp-received', 10_000, (r) => r.socket === 'c' && r.text === 'from R1');
      expect(
        agent
          .take('udp-received')
          .filter((r) => r.socket === 'c')
          .map((r) => r.text),
      ).toEqual([]);
    });
  }

  it('symmetric: a new public port per destination (address and port-dependent mapping)', async () => {
    const { host, agent } = hosts.sym!;
    const port = await bindUdp(agent, 'a');
    const seen = await mappings('sym', 'a');
    console.log(`[netlab] symmetric: ${host.address}:${port} appears as ${seen.map((m) => `${m.address}:${m.port}`).join(', ')} to R1, R2, R3`);
    expect(seen.every((m) => m.address === host.publicAddress)).toBe(true);
    // Each port is drawn at random: two of three may coincide by chance (1 in ~20,000), all
    // three only by a fault.
    expect(new Set(seen.map((m) => m.port)).size).toBeGreaterThan(1);
    // A flow keeps its mapping: the same destination sees the same port again.
    expect(await mappingTowards(agent, 'a', R1)).toEqual(seen[0]);
  });

  it('udp-blocked: UDP is dropped on the way out, TCP passes (translated)', async () => {
    const { host, agent } = hosts.blocked!;
    const router = host.router!;
    await bindUdp(agent, 'a');
    const before = await counted(router, 'udp-blocked');
    agent.send({ type: 'udp-send', socket: 'a', to: R1, text: 'probe' });
    await countedMoreThan(router, 'udp-blocked', before);
    agent.send({ type: 'tcp-connect', to: TCP, timeoutMs: 10_000 });
    expect(await agent.next('tcp-connected', 10_000)).toMatchObject({ local: { address: host.address } });
    expect((await server.next('tcp-accepted', 10_000)).from.address).toBe(host.publicAddress);
    // Nothing from this host reached any reflector.
    expect(server.take('udp-received').filter((r) => r.from.address === host.publicAddress)).toEqual([]);
  });
});
