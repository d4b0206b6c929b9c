/**
 * The lab's coturn, checked without WebRTC (turn-client.ts from inside host namespaces): STUN,
 * TURN allocations over UDP, TCP and TLS with long-term credentials and with time-limited
 * REST credentials, refusals, and that it keeps its files in the lab's folder.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { restCredentials, startCoturn, type Coturn } from './coturn';
import { createLab, type Lab, type LabHost } from './lab';
import { bindUdp, startAgent, type Agent } from './probe';
import { describeLab } from './support';
import type { AllocateResult, TurnTransport } from './turn-client';

const USER = { username: 'lab-user', password: 'lab-password' };
const SECRET = 'lab-rest-secret';

describeLab('netlab coturn', () => {
  let lab: Lab;
  let longTerm: Coturn;
  let rest: Coturn;
  let home: { host: LabHost; agent: Agent };
  let blocked: { host: LabHost; agent: Agent };

  beforeAll(async () => {
    lab = await createLab();
    [longTerm, rest] = await Promise.all([
      startCoturn(lab, { auth: { mode: 'long-term', ...USER } }),
      // coturn runs one kind of credentials per server: the REST one gets ports of its own.
      startCoturn(lab, { auth: { mode: 'rest', secret: SECRET }, port: 3480, tlsPort: 5349, relayPorts: [40000, 44999] }),
    ]);
    const [homeHost, blockedHost] = await Promise.all([lab.host('home', 'cone'), lab.host('blocked', 'udp-blocked')]);
    const [homeAgent, blockedAgent] = await Promise.all([startAgent(homeHost, 'home-agent'), startAgent(blockedHost, 'blocked-agent')]);
    home = { host: homeHost, agent: homeAgent };
    blocked = { host: blockedHost, agent: blockedAgent };
  });

  afterAll(() => lab?.close());

  const allocate = async (
    agent: Agent,
    server: Coturn,
    transport: TurnTransport,
    credentials: { username: string; password: string },
    trust = true,
  ): Promise<AllocateResult> => {
    const port = transport === 'tls' ? server.tlsPort : server.port;
    agent.send({
      type: 'turn-allocate',
      transport,
      server: { address: server.address, port },
      ...credentials,
      ...(trust ? { ca: server.certificate } : {}),
      timeoutMs: 10_000,
    });
    return (await agent.next('turn-allocated', 15_000)).result;
  };
  /** An assertion's label: the transport, and for a failed allocation its error and the end of
   * the server's log (what coturn said about it). */
  const label = (transport: string, result: AllocateResult, server: Coturn) =>
    result.ok ? transport : `${transport}: ${result.error}\n--- coturn's log, last lines ---\n${server.log().slice(-3000)}`;

  it('answers a STUN Binding on UDP with the mapped address', async () => {
    const port = await bindUdp(home.agent, 'stun');
    home.agent.send({ type: 'stun', socket: 'stun', server: { address: longTerm.address, port: longTerm.port }, timeoutMs: 10_000 });
    expect((await home.agent.next('stun-mapped', 15_000)).mapped).toEqual({ address: home.host.publicAddress, port });
  });

  it('long-term credentials: a relay over UDP, TCP and TLS (the lab certificate trusted explicitly)', async () => {
    for (const transport of ['udp', 'tcp', 'tls'] as const) {
      const result = await allocate(home.agent, longTerm, transport, USER);
      expect(result, label(transport, result, longTerm)).toMatchObject({ ok: true, relayed: { address: longTerm.address } });
    }
  });

  it('behind a router that drops UDP: a relay over TCP and over TLS', async () => {
    for (const transport of ['tcp', 'tls'] as const) {
      const result = await allocate(blocked.agent, longTerm, transport, USER);
      expect(result, label(transport, result, longTerm)).toMatchObject({ ok: true, mapped: { address: blocked.host.publicAddress } });
    }
  });

  it('refuses a wrong password, and TLS fails for a client that does not trust the certificate', async () => {
    expect(await allocate(home.agent, longTerm, 'udp', { ...USER, password: 'wrong' })).toEqual({ ok: false, error: '401 Unauthorized' });
    const untrusted = await allocate(home.agent, longTerm, 'tls', USER, false);
    expect(untrusted.ok).toBe(false);
    expect(untrusted.ok === false && untrusted.error).toMatch(/self[- ]signed certificate/);
  });

  it('REST credentials (use-auth-secret): valid until their expiry, refused after it or with another secret', async () => {
    const fresh = restCredentials(SECRET, 'alice', 3600);
    const asPassword = (c: { username: string; credential: string }) => ({ username: c.username, password: c.credential });
    for (const transport of ['udp', 'tcp', 'tls'] as const) {
      const result = await allocate(home.agent, rest, transport, asPassword(fresh));
      expect(result, label(transport, result, rest)).toMatchObject({ ok: true, relayed: { address: rest.address } });
    }
    const refused = { ok: false, error: '401 Unauthorized' };
    expect(await allocate(home.agent, rest, 'udp', asPassword(restCredentials(SECRET, 'alice', -60)))).toEqual(refused);
    expect(await allocate(home.agent, rest, 'udp', asPassword(restCredentials('another-secret', 'alice', 3600)))).toEqual(refused);
    // One kind of credentials per server: the REST server knows no static user.
    expect(await allocate(home.agent, rest, 'udp', USER)).toEqual(refused);
  });

  it('keeps its pid file and user database in the lab folder, and stops when told', async () => {
    for (const server of [longTerm, rest]) {
      expect(server.log()).toContain(`pid file created: ${lab.dir}/`);
      expect(server.log()).toContain(`SQLite DB connection success: ${lab.dir}/`);
    }
    await rest.stop();
    expect(rest.process.running).toBe(false);
    await rest.stop();
  });
});
