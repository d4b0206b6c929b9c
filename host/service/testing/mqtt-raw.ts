/**
 * An outsider's own MQTT client: publishes whatever bytes it is given to a topic, as anyone who
 * can reach a broker can. The hostile-payload case of mqtt-cases.ts uses it from the test process
 * on loopback and from a lab host through fixtures/mqtt-publish.ts.
 */
import { connectAsync, type MqttClient } from 'mqtt';

/** Publishes `payloads` to `topic` on the broker at `url`, resolving once the broker has taken
 * each (QoS 1), then disconnects. */
export async function publishRaw(url: string, topic: string, payloads: readonly Uint8Array[]): Promise<void> {
  let raw: MqttClient | undefined;
  try {
    raw = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000 });
    raw.on('error', () => undefined);
    for (const payload of payloads) await raw.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  } finally {
    await raw?.endAsync(true);
  }
}
