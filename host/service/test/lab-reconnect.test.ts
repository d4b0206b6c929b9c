/**
 * Broken paths heal, over real service processes in the network lab: pairs of services on hosts
 * behind cone routers, STUN and TURN from the lab's coturn, paired once through a PeerJS broker on
 * the public segment (host/service/testing/lab-reconnect.ts). Each scenario runs once, on a pair
 * of its own, all at once: a restart of either side; the link between a host and its router down
 * for 5 s and for 20 s (the soak's "long" outages are 30 s and 120 s: `npm run soak`), with edits
 * on both sides while apart converging with none lost or duplicated; a host moving to a new
 * address; both sides pressing "Reconnect" at the same moment. Then the broker is killed under
 * every pair (connections stay open) and comes back (everyone registers again), and at the end
 * each side lists one connection to the other and no process is left in a host's namespace.
 * The times are the soak's to print; here only the outcomes are asserted.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab } from '../../../tools/netlab/support';
import { ReconnectPair, brokerOutage, createReconnectLab, leftoverProcesses, type ReconnectLab } from '../testing/lab-reconnect';

const PAIRS = 5;

describeLab('lab: broken paths heal', () => {
  let env: ReconnectLab | undefined;
  const pairs: ReconnectPair[] = [];

  beforeAll(async () => {
    env = await createReconnectLab();
    pairs.push(...(await Promise.all(Array.from({ length: PAIRS }, (_, i) => ReconnectPair.start(env!, i + 1)))));
  }, 240_000);

  afterAll(async () => {
    try {
      await Promise.allSettled(pairs.map((p) => p.stop()));
    } finally {
      await env?.close();
    }
  }, 60_000);

  it('restart, link down 5 s and 20 s, a new address, both dialling at once: each heals with one connection and every edit', async () => {
    const [restart, short, long, move, dial] = pairs as [ReconnectPair, ReconnectPair, ReconnectPair, ReconnectPair, ReconnectPair];
    const results = await Promise.allSettled([
      (async () => {
        await restart.restart('a');
        await restart.restart('b');
      })(),
      short.outage('a', 5_000).then((healed) => expect({ lost: healed.lost, duplicated: healed.duplicated }).toEqual({ lost: 0, duplicated: 0 })),
      long.outage('b', 20_000).then((healed) => {
        expect({ lost: healed.lost, duplicated: healed.duplicated }).toEqual({ lost: 0, duplicated: 0 });
        // Past the dead-peer timeout: the old connection went, a new one took its place.
        expect(healed.replaced).toBe(true);
      }),
      move.move('a').then((healed) => expect({ lost: healed.lost, duplicated: healed.duplicated }).toEqual({ lost: 0, duplicated: 0 })),
      (async () => {
        for (let round = 0; round < 3; round++) expect(await dial.dialBoth()).toEqual([1, 1]);
      })(),
    ]);
    expect(results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []))).toEqual([]);
  }, 240_000);

  it('the broker killed: every connection stays open; back, every service registers again', async () => {
    const { stayedOpen, registrationMs } = await brokerOutage(env!, pairs);
    expect(stayedOpen).toBe(true);
    expect(registrationMs).toHaveLength(PAIRS * 2);
  }, 120_000);

  it('at the end: one connection per pair on each side, and nothing left running in the hosts', async () => {
    for (const pair of pairs) {
      expect((await pair.openConnections('a')).length).toBe(1);
      expect((await pair.openConnections('b')).length).toBe(1);
      const all = await pair.a.service.client.request('connections.list', {});
      expect(all.filter((c) => c.remote.id === pair.b.id)).toHaveLength(1);
    }
    const stopped = pairs.splice(0);
    await Promise.all(stopped.map((p) => p.stop()));
    expect(await leftoverProcesses(env!)).toEqual([]);
  }, 60_000);
});
