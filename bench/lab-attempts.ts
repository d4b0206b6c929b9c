/**
 * Back-to-back connection attempts across the network lab (run as root):
 *
 *   npx tsx bench/lab-attempts.ts [--runs 20] [--kind ours|raw] [--cases cone-cone,symmetric-symmetric,udp-blocked-udp-blocked] [--stun-only | --turn udp,tcp]
 *
 * Two peers (bench/lab-peer.ts) on two lab hosts behind routers of the case's kinds, with the
 * lab's coturn (STUN + TURN over UDP, TCP and TLS; `--turn`: only those TURN transports; `--stun-only`: STUN alone) connect with the
 * manual flow (ours) or raw simple-peer without trickle, close, and go again at once, `--runs`
 * times per case, in the same two processes. Prints one line per attempt (outcome, time, the
 * candidate types each code carried, the path at open and a second later) and a count per case.
 */
import { parseArgs } from 'node:util';
import { startCoturn } from '../tools/netlab/coturn';
import { createLab } from '../tools/netlab/lab';
import { ROUTER_KINDS, type RouterKind } from '../tools/netlab/routers';
import { labSupport } from '../tools/netlab/support';
import { LAB_TURN_USER, labIceServers } from '../host/service/testing/lab';
import type { Kind } from './lab-peer';
import { attemptOnce, closeLabPair, labPaths, pathLabel, sleep, startLabPair, stopLabPair } from './lab-pair';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    kind: { type: 'string', default: 'ours' },
    cases: { type: 'string', default: 'cone-cone,symmetric-symmetric,udp-blocked-udp-blocked' },
    'stun-only': { type: 'boolean', default: false },
    turn: { type: 'string', default: 'udp,tcp,tls' },
    'gather-timeout': { type: 'string' },
    'pause-ms': { type: 'string', default: '0' },
    pairs: { type: 'boolean', default: false },
    'plain-masquerade': { type: 'boolean', default: false },
    /** How long the reply code takes to come back (a person pasting it). */
    'paste-delay-ms': { type: 'string', default: '0' },
  },
});
const runs = Number(values.runs);
const kind = values.kind as Kind;
const cases = values.cases.split(',').map((c) => {
  const kinds = ROUTER_KINDS.filter((k) => c.startsWith(`${k}-`) || c.endsWith(`-${k}`));
  const [x, y] = c.startsWith(`${kinds[0]}-`) ? [kinds[0]!, kinds[1] ?? kinds[0]!] : [kinds[1] ?? kinds[0]!, kinds[0]!];
  if (!x || !y || `${x}-${y}` !== c) throw new Error(`unknown case ${c}: kinds are ${ROUTER_KINDS.join(', ')}`);
  return [x, y] as [RouterKind, RouterKind];
});

const support = labSupport();
if (!support.ok) {
  console.log(`lab attempts: cannot build the network lab here: ${support.reason}`);
  process.exit(0);
}

const WAIT_MS = 40_000;
const lab = await createLab();
try {
  const turn = await startCoturn(lab, { auth: { mode: 'long-term', ...LAB_TURN_USER } });
  const iceServers = labIceServers(turn, values['stun-only'] ? [] : (values.turn.split(',') as ('udp' | 'tcp' | 'tls')[]));
  const summary: string[] = [];
  let n = 0;
  for (const [x, y] of cases) {
    n++;
    const [ha, hb] = await Promise.all([lab.host(`a${n}`, x), lab.host(`b${n}`, y)]);
    if (values['plain-masquerade']) {
      // The lab of the issue's first findings: NAT with nothing filtered, so the router accepts
      // (and conntrack confirms) a remote's early check addressed to the router itself.
      for (const host of [ha, hb]) {
        await host.router?.exec('iptables', ['-F', 'INPUT']);
        await host.router?.exec('iptables', ['-P', 'INPUT', 'ACCEPT']);
      }
    }
    const gather = values['gather-timeout'] ? Number(values['gather-timeout']) : undefined;
    const pair = await startLabPair([ha, hb], kind, iceServers as RTCIceServer[], gather);
    const { a, b } = pair;
    let ok = 0;
    console.log(
      `${kind} ${x} ↔ ${y}, ${runs} attempts back to back${values['stun-only'] ? ', STUN only' : ''}${values['plain-masquerade'] ? ', routers accepting input' : ''}${Number(values['paste-delay-ms']) > 0 ? `, reply pasted after ${values['paste-delay-ms']} ms` : ''}`,
    );
    for (let i = 1; i <= runs; i++) {
      const attempt = await attemptOnce(pair, WAIT_MS, Number(values['paste-delay-ms']));
      const [ea, eb] = attempt.ends;
      let later = '';
      if (attempt.opened && values.pairs) {
        a.send({ type: 'path', pairs: true });
        b.send({ type: 'path', pairs: true });
        const [pa, pb] = await Promise.all([a.next('path', WAIT_MS), b.next('path', WAIT_MS)]);
        console.log(`     a's pairs at open:\n       ${pa.pairs?.join('\n       ')}\n     b's:\n       ${pb.pairs?.join('\n       ')}`);
      }
      if (attempt.opened) {
        ok++;
        // The engine may switch to a better pair after opening: read it again a second later.
        await sleep(1000);
        const [pa, pb] = await labPaths(pair, WAIT_MS);
        later = ` | 1 s later a ${pathLabel(pa)} b ${pathLabel(pb)}`;
      }
      await closeLabPair(pair, WAIT_MS);
      const ms = attempt.ms;
      const outcome = attempt.opened
        ? `open ${ms.toFixed(0).padStart(5)} ms  a ${pathLabel(ea.opened ? ea.path : undefined)} b ${pathLabel(eb.opened ? eb.path : undefined)}${later}`
        : `FAILED ${ms > 0 ? `${ms.toFixed(0)} ms` : ''}: a ${describeEnd(ea)}; b ${describeEnd(eb)}`;
      console.log(`  ${String(i).padStart(2)} ${outcome}\n     offer [${attempt.offerCandidates.join(' ')}] answer [${attempt.answerCandidates.join(' ')}]`);
      if (Number(values['pause-ms']) > 0) await sleep(Number(values['pause-ms']));
    }
    summary.push(`${kind} ${x} ↔ ${y}: ${ok}/${runs} opened`);
    await stopLabPair(pair);
  }
  console.log(`\n${summary.join('\n')}`);
} finally {
  await lab.close();
}
process.exit(0);

function describeEnd(end: { opened: boolean; stage?: string; message?: string }): string {
  return end.opened ? 'opened' : `${end.stage ?? '?'}: ${end.message}`;
}
