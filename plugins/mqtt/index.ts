/**
 * WhatNext plugin: signaling through an MQTT broker (any MQTT 3.1.1 broker: Mosquitto, EMQX,
 * HiveMQ, ...), with a WebRTC data channel as the transport. The engine, the ICE servers and the
 * pipe are the webrtc plugin's, a dependency. See README.md.
 *
 *   defineConfig({ plugins: [webrtc(), mqtt({ url: 'mqtts://broker.example.org:8883' })] })
 */
import { definePlugin } from '@whatnext/core';
import type { WebRtcService } from '../webrtc/service';
import { createMqttMethod } from './method';
import { MqttOptions } from './options';

export const mqtt = definePlugin({
  name: 'mqtt',
  version: '0.1.0',
  api: '^2.1.0',
  description: 'Signaling through an MQTT broker; a WebRTC data channel is the transport.',
  options: MqttOptions,
  dependencies: ['webrtc'],
  setup(ctx, options) {
    const method = createMqttMethod({
      options,
      webrtc: ctx.use<WebRtcService>('webrtc'),
      local: ctx.local,
      log: (level, message) => ctx.log(level, message),
    });
    ctx.registerSignaling(method);
    ctx.hooks.shutdown.tapPromise(() => method.shutdown());
  },
});

export default mqtt;
export { MqttOptions, BrokerUrl, TopicPrefix } from './options';
export { createMqttMethod, inboxTopic, type MqttMethod, type MqttMethodConfig } from './method';
export { parseMqttLink, inviteParams, PARAM as MQTT_LINK_PARAMS, type MqttLinkParams } from './link';
export { parseSignal, MAX_PAYLOAD_BYTES } from './messages';
