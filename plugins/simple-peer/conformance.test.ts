/**
 * core's transport conformance suite against the simple-peer transport, with trickle ICE and
 * without (one complete signal per side, as manual signaling uses it).
 */
import { afterAll } from 'vitest';
import { describeTransportConformance, fromTransport } from '@whatnext/core/testing';
import { createWebRtc } from '../webrtc';
import { createSimplePeerTransport } from './transport';

const transport = createSimplePeerTransport(createWebRtc());
afterAll(() => transport.dispose());

describeTransportConformance('simple-peer (trickle)', fromTransport(transport, { trickle: true, secureSession: true }));
describeTransportConformance('simple-peer (no trickle)', fromTransport(transport, { trickle: false, secureSession: true }));
