/**
 * Child process for exit.test.ts: two hosts with the peerjs plugin connect through the broker
 * whose port is argv[2], exchange a message, stop, and must then exit on their own: nothing the
 * plugin opened (PeerJS peers, broker sockets, native peer connections) may keep Node alive.
 */
import { PluginHost, type SignalingMethod } from '../../core';
import { peerjs } from './index';
import type { PeerjsLinkParams } from './link';
import { ALICE, BOB, fakeAttempt } from './test-support';

const port = Number(process.argv[2]);
const plugins = () => [peerjs({ port, path: '/whatnext', listen: false })];
const hostA = new PluginHost({ plugins: plugins(), local: ALICE });
const hostB = new PluginHost({ plugins: plugins(), local: BOB });
await Promise.all([hostA.start(), hostB.start()]);
const methodA = hostA.signaling.get('peerjs') as SignalingMethod<PeerjsLinkParams>;
const methodB = hostB.signaling.get('peerjs') as SignalingMethod<PeerjsLinkParams>;

const attemptA = fakeAttempt(ALICE);
const inviting = methodA.invite(attemptA.ctx);
const invite = await attemptA.invite;
const attemptB = fakeAttempt(BOB, { inviteToken: invite.token });
const [a, b] = await Promise.all([inviting, methodB.answer(methodB.parseLink(invite.params), attemptB.ctx)]);
a.send(new TextEncoder().encode('ping'));
const ping = new TextDecoder().decode(await attemptB.sink.nextFrame());
b.send(new TextEncoder().encode('pong'));
const pong = new TextDecoder().decode(await attemptA.sink.nextFrame());
process.stdout.write(`exchanged ${ping}/${pong}\n`);

await Promise.all([hostA.stop(), hostB.stop()]);
// Tell the parent when the hosts stopped, then let go of the IPC channel: from here on only
// what the plugin left open can keep this process alive.
process.send?.({ stopped: true }, () => process.disconnect?.());
