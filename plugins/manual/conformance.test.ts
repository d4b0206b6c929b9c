/**
 * Core's signaling conformance suite, run against the manual method: over the in-memory
 * transport, and over simple-peer's real WebRTC (loopback, no ICE servers); and a method broken
 * on purpose, which the suite must fail.
 */
import { describe, expect, it } from 'vitest';
import { definePlugin } from '@whatnext/core';
import { checkRefusesCutLinks, describeSignalingConformance, memoryTransportPlugin } from '@whatnext/core/testing';
import { simplePeer } from '../simple-peer';
import { webrtc } from '../webrtc';
import { createManualMethod, manual, ManualOptions } from './index';

describeSignalingConformance('manual (memory transport)', {
  method: 'manual',
  plugins: () => [memoryTransportPlugin(), manual({ transports: ['memory'] })],
});

describeSignalingConformance('manual (simple-peer)', {
  method: 'manual',
  plugins: () => [webrtc(), simplePeer(), manual()],
});

describe('the signaling suite fails a method that', () => {
  it('takes a link that lost its invite code, instead of refusing it', async () => {
    // The manual method, wrapped to read what it cannot as an empty invite.
    const lenient = definePlugin({
      name: 'manual',
      version: '1.0.0',
      api: '^2.2.0',
      setup(ctx) {
        const method = createManualMethod(ManualOptions.parse({ transports: ['memory'] }), () => ctx.transports());
        ctx.registerSignaling({
          ...method,
          parseLink(params) {
            try {
              return method.parseLink(params);
            } catch {
              return { method: 'manual', remote: {}, params: undefined as never };
            }
          },
        });
      },
    });
    await expect(checkRefusesCutLinks({ method: 'manual', plugins: () => [memoryTransportPlugin(), lenient()] })).rejects.toThrow(/the link without "o"/);
  });
});
