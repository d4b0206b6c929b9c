/**
 * `npx tsx bench/first-messages.ts [connections]`: how often @roamhq/wrtc delivers the first
 * messages on an ordered data channel out of order, with the raw engine and nothing of ours.
 *
 * Messages the channel's creator sends as soon as it opens can reach the other side while that
 * side's channel object is still being made; the binding replays those after newer ones. Each
 * connection is tried two ways, alternating: the creator sends five messages on open ("at
 * once"), or only after the other side's first message (what the simple-peer and peerjs pipes
 * do, with ANSWERER_READY). In the second way the answering side sends five messages first, and
 * their order is counted too: the pipes rely on that direction. Two busy workers load the
 * machine, as a test run does.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc');
const connections = Number(process.argv[2] ?? 200);
const COUNT = 5;
const expected = Array.from({ length: COUNT }, (_, i) => `m${i}`).join();

/** One connection; resolves with what each side received, in order. */
async function firstMessages(waitForAnswerer: boolean): Promise<{ byAnswerer: string; byCreator: string }> {
  const creator = new wrtc.RTCPeerConnection({ iceServers: [] });
  const answerer = new wrtc.RTCPeerConnection({ iceServers: [] });
  creator.onicecandidate = (e: { candidate: unknown }) => e.candidate && answerer.addIceCandidate(e.candidate).catch(() => {});
  answerer.onicecandidate = (e: { candidate: unknown }) => e.candidate && creator.addIceCandidate(e.candidate).catch(() => {});
  const channel = creator.createDataChannel('first', { ordered: true });
  const sendAll = (to: RTCDataChannel) => {
    for (let i = 0; i < COUNT; i++) to.send(`m${i}`);
  };
  const got: string[] = [];
  const gotBack: string[] = [];
  let resolve!: () => void;
  const received = new Promise<void>((done) => (resolve = done));
  const check = () => got.length === COUNT && (!waitForAnswerer || gotBack.length === COUNT) && resolve();
  answerer.ondatachannel = ({ channel: theirs }: { channel: RTCDataChannel }) => {
    theirs.onmessage = ({ data }: MessageEvent) => {
      got.push(String(data));
      check();
    };
    if (waitForAnswerer) sendAll(theirs);
  };
  if (waitForAnswerer) {
    channel.onmessage = ({ data }: MessageEvent) => {
      gotBack.push(String(data));
      if (gotBack.length === 1) sendAll(channel);
      check();
    };
  } else {
    channel.onopen = () => sendAll(channel);
  }
  const offer = await creator.createOffer();
  await creator.setLocalDescription(offer);
  await answerer.setRemoteDescription(offer);
  const answer = await answerer.createAnswer();
  await answerer.setLocalDescription(answer);
  await creator.setRemoteDescription(answer);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([received, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
  clearTimeout(timer);
  creator.close();
  answerer.close();
  return { byAnswerer: got.join(), byCreator: gotBack.join() };
}

const load = [0, 1].map(() => new Worker('for (;;) {}', { eval: true }));
const outOfOrder = { atOnce: 0, afterAnswerer: 0, fromAnswerer: 0 };
for (let i = 0; i < connections; i++) {
  if ((await firstMessages(false)).byAnswerer !== expected) outOfOrder.atOnce++;
  const answered = await firstMessages(true);
  if (answered.byAnswerer !== expected) outOfOrder.afterAnswerer++;
  if (answered.byCreator !== expected) {
    outOfOrder.fromAnswerer++;
    console.log(`the answering side's first messages arrived as ${answered.byCreator}`);
  }
}
await Promise.all(load.map((worker) => worker.terminate()));
console.log(`first ${COUNT} messages out of order or missing, of ${connections} connections each:`);
console.log(`  sent as the channel opens:                 ${outOfOrder.atOnce}`);
console.log(`  sent after the answering side's first one: ${outOfOrder.afterAnswerer}`);
console.log(`  the answering side's own, sent first:      ${outOfOrder.fromAnswerer}`);
process.exit(0);
