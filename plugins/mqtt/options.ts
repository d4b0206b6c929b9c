/** The plugin's options, and the pieces of them that links share (broker URL, topic prefix).
 * The engine and the ICE servers are the webrtc plugin's options. */
import { z } from 'zod';
import { pipeTuningOptions } from '@whatnext/core';

const SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** Where the broker is: mqtt:// or mqtts:// (TCP, TLS), ws:// or wss:// (WebSocket). No
 * credentials in it (they are options of their own and never travel in a link), written the way
 * URL parsing normalises it, so the URL shown is the URL dialled. */
export const BrokerUrl = z
  .string()
  .max(512, { abort: true, message: 'a broker URL is at most 512 characters' })
  .superRefine((text, ctx) => {
    const problem = brokerUrlProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export function brokerUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'a broker URL looks like mqtt://host:1883, mqtts://host:8883 or wss://host/mqtt';
  }
  if (!SCHEMES.includes(url.protocol)) return `a broker URL starts with mqtt://, mqtts://, ws:// or wss:// (this one with ${url.protocol.slice(0, 16)}//)`;
  if (url.hostname === '') return 'the broker URL names no host';
  if (url.username !== '' || url.password !== '') return 'put the broker username and password in their own settings, not in the URL';
  if (url.search !== '' || url.hash !== '') return 'a broker URL takes no "?" or "#" part';
  if ((url.protocol === 'mqtt:' || url.protocol === 'mqtts:') && url.pathname !== '' && url.pathname !== '/') return 'an mqtt:// or mqtts:// URL takes no path';
  // mqtt: and mqtts: hosts are opaque to URL parsing (not normalised): read the host as http:
  // would, so `2130706433` or `0x7f.1` (which the resolver takes for 127.0.0.1) is refused too.
  let host: string;
  try {
    host = new URL(`http://${url.host}/`).host;
  } catch {
    return `"${url.host.slice(0, 64)}" is not a host name or an IP address`;
  }
  if (host !== url.host || (url.href !== text && url.href !== `${text}/`)) {
    return `the broker URL is not written in its normal form (for example mqtt://127.0.0.1:1883, mqtts://[::1]:8883, wss://broker.example.org/mqtt)`;
  }
  return undefined;
}

/** Topics start with this: one to eight levels of letters, digits, "_" and "-" (no MQTT
 * wildcards, no empty level, no "$" that brokers reserve). The length is checked before the
 * pattern, which cannot backtrack (each level ends at a "/"). */
export const TopicPrefix = z
  .string()
  .max(128, { abort: true, message: 'a topic prefix is at most 128 characters' })
  .regex(/^[\w-]+(?:\/[\w-]+){0,7}$/, 'a topic prefix is up to 8 levels of letters, digits, "_" and "-", separated by "/" (no "+", "#" or "$")');

export { DEFAULT_LOW_WATER_MARK, DEFAULT_MAX_FRAME_SIZE } from '@whatnext/core';

export const MqttOptions = z
  .object({
    url: BrokerUrl.default('mqtt://127.0.0.1:1883').describe('The MQTT broker: mqtt://, mqtts:// (TLS), ws:// or wss:// (WebSocket, TLS)'),
    username: z.string().max(256).optional().describe('Broker username (sent only to this broker, never in a link)'),
    password: z.string().max(256).optional().meta({ title: 'Broker password', format: 'password' }),
    topicPrefix: TopicPrefix.default('whatnext/v1').describe('Topics this peer uses start with this (both sides must use the same)'),
    listen: z
      .boolean()
      .default(true)
      .describe('Stay subscribed to this peer’s inbox so that peers who know its id can ask to connect (each request still needs approval)'),
    ...pipeTuningOptions,
  })
  .strict()
  .prefault({});
export type MqttOptions = z.output<typeof MqttOptions>;
