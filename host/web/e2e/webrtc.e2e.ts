/**
 * Real WebRTC between two browser shells: manual signaling over the simple-peer transport, and
 * the PeerJS broker (a PeerServer this test starts on a loopback port), with playlists edited
 * on both sides, an incoming request rejected, and the default method switched in settings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../plugins/peerjs/broker';
import {
  addTrack,
  copyFrom,
  createPlaylist,
  endEverything,
  go,
  invite,
  onCleanup,
  type OpenedPage,
  openLink,
  pairManually,
  readQr,
  screenshot,
  startWebRtcPair,
  titles,
} from '../testing/harness';

describe('real WebRTC between two browser shells', () => {
  let broker: Broker;
  let a: OpenedPage;
  let b: OpenedPage;

  beforeAll(async () => {
    ({ broker, a, b } = await startWebRtcPair());
  });

  afterAll(async () => {
    // Ends every browser, shell and broker this file started, even after a failure.
    await endEverything();
    expect([...(a?.problems ?? []), ...(b?.problems ?? [])], 'errors in the pages').toEqual([]);
  });

  /** Alice creates a playlist and shares it with Bob; both edit it and see each other's edits. */
  async function coEditPlaylist(name: string): Promise<void> {
    await go(a.page, 'Playlists');
    await createPlaylist(a.page, name);
    await a.page.getByRole('checkbox', { name: /Share with Bob/ }).check();
    await addTrack(a.page, 'Heroes', 'David Bowie', '6:07');
    await go(b.page, 'Playlists');
    await b.page
      .getByRole('navigation', { name: 'Playlists' })
      .getByRole('button', { name: new RegExp(name) })
      .click();
    await b.page.getByRole('listitem', { name: 'Heroes by David Bowie' }).waitFor();
    await addTrack(b.page, 'Teardrop', 'Massive Attack', '5:29');
    await a.page.getByRole('listitem', { name: 'Teardrop by Massive Attack' }).getByText('added by Bob').waitFor();
    await a.page.getByRole('button', { name: 'Move Teardrop up' }).click();
    await expect.poll(() => titles(b.page)).toEqual(['Teardrop', 'Heroes']);
  }

  it('connects over manual signaling and simple-peer, and both edit a shared playlist', async () => {
    await pairManually(a.page, 'Alice', b.page, 'Bob');

    await go(a.page, 'Peers');
    const bobOnAlice = a.page.getByRole('group', { name: 'Connection with Bob' });
    await bobOnAlice.getByText('over simple-peer').waitFor();
    // Round-trip time arrives with the first heartbeat.
    await bobOnAlice
      .getByTestId('rtt')
      .filter({ hasText: /(?<!\d)\d+ ms/ })
      .waitFor();
    await screenshot(a.page, 'peers-connected-webrtc');

    await coEditPlaylist('Over WebRTC');

    await go(b.page, 'Peers');
    await b.page.getByRole('group', { name: 'Connection with Alice' }).getByRole('button', { name: 'Disconnect' }).click();
    await b.page.getByRole('list', { name: 'Ended connections' }).getByText('You disconnected').waitFor();
  });

  it('pairs with short codes, each read from its QR code as a phone camera would', async () => {
    // With the broker reachable, copy & paste offers its one link first.
    await go(a.page, 'Connect');
    await a.page.getByLabel('Signaling method').selectOption('manual');
    const offer = a.page.getByTestId('broker-offer');
    await offer.getByText('PeerJS broker is reachable: its invite is one short link, with no reply code to send back.').waitFor();
    await screenshot(a.page, 'connect-broker-offered');
    await offer.getByRole('button', { name: 'Use PeerJS broker' }).click();
    await expect.poll(() => a.page.getByLabel('Signaling method').inputValue()).toBe('peerjs');
    await offer.waitFor({ state: 'detached' });

    const link = await invite(a.page, 'manual');
    expect(link).toContain('via=manual');
    const inviteCard = a.page.locator('[data-attempt]').first();
    await inviteCard.getByRole('button', { name: 'Code', exact: true }).click();
    const inviteCode = await copyFrom(a.page, inviteCard.getByRole('button', { name: 'Copy invite code' }));
    expect(inviteCode).toMatch(/^wno2\./);
    expect(inviteCode.length).toBeLessThanOrEqual(200);
    const inviteQr = inviteCard.getByRole('img', { name: 'Invite code as a QR code' });
    expect(await readQr(inviteQr)).toBe(inviteCode);
    await screenshot(a.page, 'connect-invite-short-code');

    await openLink(b.page, await readQr(inviteQr));
    await b.page.getByRole('region', { name: 'Request from Alice' }).getByRole('button', { name: 'Accept' }).click();
    const answer = b.page.locator('[data-attempt]').first();
    const replyCode = await copyFrom(b.page, answer.getByRole('button', { name: 'Copy reply code' }));
    expect(replyCode).toMatch(/^wna2\./);
    expect(replyCode.length).toBeLessThanOrEqual(200);
    const replyQr = answer.getByRole('img', { name: 'Reply code as a QR code' });
    expect(await readQr(replyQr)).toBe(replyCode);
    await screenshot(b.page, 'connect-reply-short-code');

    await inviteCard.getByLabel('Reply code', { exact: true }).fill(await readQr(replyQr));
    await inviteCard.getByRole('button', { name: 'Connect' }).click();
    await inviteCard.getByText('Connected to Bob.').waitFor();
    await answer.getByText('Connected to Alice.').waitFor();
    await go(b.page, 'Peers');
    await b.page.getByRole('group', { name: 'Connection with Alice' }).getByRole('button', { name: 'Disconnect' }).click();
    await b.page.getByRole('list', { name: 'Connected peers' }).waitFor({ state: 'detached' });
  });

  it('connects through the PeerJS broker after Bob accepts, and both edit a shared playlist', async () => {
    const link = await invite(a.page, 'peerjs');
    expect(link).toContain('via=peerjs');
    await openLink(b.page, link);
    const request = b.page.getByRole('region', { name: 'Request from Alice' });
    expect(await request.getByTestId('request-method').textContent()).toContain('PeerJS broker');
    await request.getByRole('button', { name: 'Accept' }).click();
    await b.page.locator('[data-attempt]').first().getByText('Connected to Alice.').waitFor();
    await a.page.locator('[data-attempt]').first().getByText('Connected to Bob.').waitFor();

    await coEditPlaylist('Over the broker');

    await go(b.page, 'Peers');
    const aliceOnBob = b.page.getByRole('list', { name: 'Connected peers' }).getByRole('group', { name: 'Connection with Alice' });
    expect(await aliceOnBob.textContent()).toContain('PeerJS broker');
    await aliceOnBob.getByRole('button', { name: 'Disconnect' }).click();
    await b.page.getByRole('list', { name: 'Connected peers' }).waitFor({ state: 'detached' });

    // The invite was used once: opening it again is a new request Alice has to decide on.
    await openLink(b.page, link);
    await b.page.getByRole('region', { name: 'Request from Alice' }).getByRole('button', { name: 'Accept' }).click();
    const incoming = a.page.getByRole('region', { name: 'Request from Bob' });
    await incoming.getByRole('heading', { name: 'Bob wants to connect' }).waitFor();
    expect(await incoming.getByTestId('request-method').textContent()).toContain('PeerJS broker');
    await incoming
      .getByTestId('countdown')
      .filter({ hasText: /(?<!\d)\d+ s left to decide/ })
      .waitFor();
    await screenshot(a.page, 'request-incoming');

    await incoming.getByRole('button', { name: 'Reject' }).click();
    await go(b.page, 'Connect');
    await b.page.locator('[data-attempt]').first().getByRole('alert').filter({ hasText: 'Alice declined the request' }).waitFor();
    await screenshot(b.page, 'connect-declined-by-peer');

    // With the setting on, Alice's service accepts Bob, whom she approved before, when he reaches
    // her; Bob still decides about the link he opened himself.
    await go(a.page, 'Settings');
    await a.page.getByLabel('Accept known peers automatically').check();
    await expect.poll(() => a.page.getByLabel('Accept known peers automatically').isChecked()).toBe(true);
    await go(a.page, 'Connect');
    await openLink(b.page, link);
    await b.page.getByRole('region', { name: 'Request from Alice' }).getByRole('button', { name: 'Accept' }).click();
    const accepted = a.page.locator('[data-attempt]').first();
    await accepted.getByText('Accepted automatically: a peer you approved before').waitFor();
    await accepted.getByText('Connected to Bob.').waitFor();
    await go(b.page, 'Peers');
    await b.page.getByRole('group', { name: 'Connection with Alice' }).getByRole('button', { name: 'Disconnect' }).click();
    await b.page.getByRole('list', { name: 'Connected peers' }).waitFor({ state: 'detached' });
  });

  it('switching the default method in settings changes what the next invite uses', async () => {
    await go(a.page, 'Settings');
    await a.page.getByRole('group', { name: 'Method PeerJS broker' }).getByRole('button', { name: 'Make default' }).click();
    await a.page.getByRole('group', { name: 'Method PeerJS broker' }).getByText('Default', { exact: true }).waitFor();
    expect(await invite(a.page)).toContain('via=peerjs');

    await go(a.page, 'Settings');
    await a.page.getByRole('group', { name: 'Method Copy & paste' }).getByRole('button', { name: 'Make default' }).click();
    await a.page.getByRole('group', { name: 'Method Copy & paste' }).getByText('Default', { exact: true }).waitFor();
    expect(await invite(a.page)).toContain('via=manual');
  });

  it('says so while the broker is down, instead of "Active", and is back once it returns', async () => {
    await go(a.page, 'Settings');
    const card = a.page.getByRole('region', { name: 'Plugin peerjs' });
    await card.getByText('Active', { exact: true }).waitFor();

    await broker.close();
    await card.getByText('Unreachable', { exact: true }).waitFor();
    await card
      .getByRole('status')
      .filter({ hasText: /PeerJS broker: Retrying since .*Lost the connection to the PeerJS broker/ })
      .waitFor();
    await screenshot(a.page, 'settings-broker-down');
    await go(a.page, 'Connect');
    await a.page.getByLabel('Signaling method').selectOption('peerjs');
    await a.page.locator('[data-health="trouble"]').filter({ hasText: 'Unreachable — Retrying since' }).waitFor();

    const back = await startBroker({ port: broker.port, host: '127.0.0.1' });
    onCleanup(() => back.close());
    await a.page.locator('[data-health="trouble"]').waitFor({ state: 'detached' });
    await go(a.page, 'Settings');
    await card.getByText('Active', { exact: true }).waitFor();
  });
});
