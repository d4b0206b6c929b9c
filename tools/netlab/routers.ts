/**
 * The routers a lab host can sit behind, as iptables rules loaded into the router's own
 * namespace (`iptables-restore`, so a kind is one readable ruleset). Behaviour in RFC 4787's
 * terms: mapping (which public port a flow gets) and filtering (which inbound packets reach
 * the host). `routers.test.ts` checks each kind does what its name says.
 *
 * none         No router: the host sits on the public segment with its own address.
 *
 * cone         Endpoint-Independent Mapping, Address and Port-Dependent Filtering (a
 *              "port-restricted cone", what most home routers do).
 *              nat:    POSTROUTING -o wan -j MASQUERADE
 *              filter: INPUT from wan: DROP unless ESTABLISHED,RELATED
 *                      FORWARD: lan → wan, and ESTABLISHED,RELATED back; DROP the rest
 *              Mapping: MASQUERADE keeps the host's source port whenever the resulting tuple
 *              is free, so one host port gets one public port whatever the destination.
 *              Filtering: conntrack lets in only replies from the exact address and port a
 *              flow was opened to.
 *              Why the INPUT drop matters: without it the mapping is not endpoint-independent
 *              when it counts. In hole punching, the remote's first check reaches this router
 *              before the host has sent anything to the remote. It is addressed to the router
 *              itself, so conntrack creates a local flow (remote → router:port) and, once the
 *              packet is accepted, confirms it. When the host then sends from that port to
 *              the remote, its reply tuple clashes with the confirmed local flow, so
 *              MASQUERADE picks another port: the host's mapping towards the remote is no
 *              longer the one STUN reported, the remote's router (filtering by port) drops
 *              everything sent from it, and with the remote's router doing the same, STUN
 *              alone never connects. The remote keeps retrying its check, which keeps the
 *              stolen entry alive (UDP unreplied timeout: 30 s). Dropping the packet in
 *              filter INPUT happens before conntrack confirms an entry, so the probe never
 *              takes the port.
 *
 * symmetric    Address and Port-Dependent Mapping, Address and Port-Dependent Filtering.
 *              nat:    POSTROUTING -o wan -j MASQUERADE --random-fully
 *              filter: as cone.
 *              --random-fully draws the public port at random for every new flow, i.e. for
 *              every destination address and port, so the port STUN reports is useless to
 *              anyone but the STUN server. Two of these need a TURN relay.
 *
 * udp-blocked  Only TCP leaves: as cone, but FORWARD accepts TCP alone from the lan (UDP is
 *              dropped, silently, as firewalls do), so TURN over TCP or TLS is the only way.
 *
 * Every router also: forwards (net.ipv4.ip_forward=1), has no default route (the public
 * segment is all there is), and has IPv6 disabled like every lab namespace.
 */

export type RouterKind = 'none' | 'cone' | 'symmetric' | 'udp-blocked';
export const ROUTER_KINDS: readonly RouterKind[] = ['none', 'cone', 'symmetric', 'udp-blocked'];

/** Tags each rule (iptables `comment` match), so a counter can be read by name and a stray
 * rule recognised as the lab's. */
export const RULE_TAG = 'wn-netlab';

export type RuleName = 'unsolicited-input' | 'unsolicited-forward' | 'udp-blocked';

const tag = (name: RuleName) => `-m comment --comment "${RULE_TAG} ${name}"`;

/** The ruleset of a router of `kind` (not 'none'), between interfaces `wan` and `lan`. */
export function routerRules(kind: Exclude<RouterKind, 'none'>, wan: string, lan: string): string {
  const masquerade = kind === 'symmetric' ? 'MASQUERADE --random-fully' : 'MASQUERADE';
  const outbound =
    kind === 'udp-blocked'
      ? [`-A FORWARD -i ${lan} -o ${wan} -p udp ${tag('udp-blocked')} -j DROP`, `-A FORWARD -i ${lan} -o ${wan} -p tcp -j ACCEPT`]
      : [`-A FORWARD -i ${lan} -o ${wan} -j ACCEPT`];
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    `-A POSTROUTING -o ${wan} -j ${masquerade}`,
    'COMMIT',
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    // Explicit, though the policy drops too: its counter is the evidence a probe was dropped.
    `-A INPUT -i ${wan} ${tag('unsolicited-input')} -j DROP`,
    '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    ...outbound,
    `-A FORWARD -i ${wan} ${tag('unsolicited-forward')} -j DROP`,
    'COMMIT',
    '',
  ].join('\n');
}

/** Packets counted by the tagged rule `name` in `iptables-save -c` output. */
export function ruleCount(saved: string, name: RuleName): number {
  const line = saved.split('\n').find((l) => l.includes(`"${RULE_TAG} ${name}"`));
  if (!line) throw new Error(`netlab: no rule "${RULE_TAG} ${name}" in the ruleset`);
  const counters = /^\[(\d+):\d+\]/.exec(line);
  return Number(counters?.[1] ?? 0);
}
