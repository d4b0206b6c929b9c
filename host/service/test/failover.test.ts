/**
 * Failover between signaling methods, with two real service processes paired once, a real
 * PeerServer and a real Mosquitto on loopback, each broker killed under them in turn: known
 * peers reconnect over the method that is up (by "Reconnect" and by themselves after a restart),
 * the connection says which method carried it, a method that looks up but stays silent is given
 * up for the next, and with both down each side says which methods are down and nothing hangs.
 * `npm run chaos` runs the same cases 20+ times and prints the figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosLab } from '../testing/failover-chaos';

let lab: ChaosLab | undefined;

beforeAll(async () => {
  lab = await ChaosLab.create();
}, 120_000);

afterAll(async () => {
  const codes = await lab?.close();
  expect(codes?.every((code) => code === 0)).toBe(true);
});

describe('failover between the PeerJS and the MQTT method', { timeout: 120_000 }, () => {
  it('tries the methods in the configured order: the first one up carries the connection, which says so', async () => {
    const first = await lab!.reconnect();
    expect(first).toMatchObject({ method: 'peerjs', tried: [{ method: 'peerjs', state: 'open' }] });
    await lab!.order(['mqtt', 'peerjs']);
    expect(await lab!.reconnect()).toMatchObject({ method: 'mqtt', tried: [{ method: 'mqtt', state: 'open' }] });
    const listed = await lab!.alice.service.client.request('connections.list', {});
    expect(listed).toEqual([
      expect.objectContaining({ method: 'mqtt', transport: 'mqtt', state: 'open', remote: expect.objectContaining({ id: lab!.bob.id }) }),
    ]);
    await lab!.order(['peerjs', 'mqtt']);
  });

  it('with the PeerJS broker down and Mosquitto up, a known peer reconnects over MQTT (by Reconnect, and by itself after a restart)', async () => {
    await lab!.down('peerjs');
    // The method that is down is not tried at all: its health said so before any offer.
    expect(await lab!.reconnect()).toMatchObject({ method: 'mqtt', tried: [{ method: 'mqtt', state: 'open' }] });
    expect((await lab!.restartBob()).method).toBe('mqtt');
  });

  it('with Mosquitto down and the PeerJS broker up, over PeerJS, MQTT first in the order or not', async () => {
    await lab!.up('peerjs');
    await lab!.down('mqtt');
    await lab!.order(['mqtt', 'peerjs']);
    expect(await lab!.reconnect()).toMatchObject({ method: 'peerjs', tried: [{ method: 'peerjs', state: 'open' }] });
    expect((await lab!.restartBob()).method).toBe('peerjs');
    await lab!.order(['peerjs', 'mqtt']);
  });

  it('with both down, each side lists both as down, Reconnect says so at once and nothing waits; a broker back reconnects them by itself', async () => {
    await lab!.down('peerjs');
    await lab!.down('mqtt');
    const down = await lab!.allDown();
    for (const method of ['peerjs', 'mqtt']) {
      expect(down.health[method]).toHaveLength(2);
      for (const health of down.health[method]!) expect(['retrying', 'connecting']).toContain(health?.state);
    }
    expect(down.reconnect.error?.code).toBe('cannot_reach');
    expect(down.reconnect.error?.message).toMatch(/peerjs (retrying|connecting).*mqtt (retrying|connecting)/);
    expect(down.underWay).toEqual([]);
    // An invite with "any" falls back to the method that needs no server.
    const invite = await lab!.alice.service.client.request('attempts.invite', { method: 'any' });
    expect(invite.method).toBe('manual');
    await lab!.alice.service.client.request('attempts.cancel', { attemptId: invite.id });

    await lab!.up('mqtt');
    expect(await lab!.connectedAgain()).toBe('mqtt');
    const again = await lab!.alice.service.client.request('attempts.invite', { method: 'any' });
    expect(again.method).toBe('mqtt');
    await lab!.alice.service.client.request('attempts.cancel', { attemptId: again.id });
  });

  it('a method that is up but does not reach the peer is given up after the silence bound, and the next carries', async () => {
    await lab!.up('peerjs');
    // Bob registers on another PeerServer: Alice's PeerJS is up, and silent about him (and his
    // about her: his own dial at his start moves on to MQTT too).
    expect((await lab!.restartBob(await lab!.elsewhere())).method).toBe('mqtt');
    const moved = await lab!.reconnect();
    expect(moved.method).toBe('mqtt');
    expect(moved.tried).toEqual([
      { method: 'peerjs', state: expect.stringMatching(/^(cancelled|failed)$/), message: expect.any(String) },
      { method: 'mqtt', state: 'open' },
    ]);
  });
});
