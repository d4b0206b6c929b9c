/**
 * core's transport conformance suite against the simple-peer transport, with trickle ICE and
 * without (one complete signal per side, as manual signaling uses it), on the default engine
 * (@roamhq/wrtc) and on werift (the engine for TURN over TLS with a certificate of one's own).
 */
import { afterAll } from 'vitest';
import { describeTransportConformance, fromTransport } from '../../core/testing';
import { createWebRtc } from '../webrtc';
import { createSimplePeerTransport } from './transport';

const transport = createSimplePeerTransport(createWebRtc());
const onWerift = createSimplePeerTransport(createWebRtc({ engine: 'werift' }));
afterAll(() => Promise.all([transport.dispose(), onWerift.dispose()]));

describeTransportConformance('simple-peer (trickle)', fromTransport(transport, { trickle: true, secureSession: true }));
describeTransportConformance('simple-peer (no trickle)', fromTransport(transport, { trickle: false, secureSession: true }));
describeTransportConformance('simple-peer on werift (trickle)', fromTransport(onWerift, { trickle: true, secureSession: true }));
describeTransportConformance('simple-peer on werift (no trickle)', fromTransport(onWerift, { trickle: false, secureSession: true }));
