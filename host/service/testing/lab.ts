/**
 * WhatNext in the network lab (tools/netlab): real service processes placed on lab hosts, and a
 * PeerJS broker and a Mosquitto on the public segment.
 *
 *   const lab = await createLab();
 *   const turn = await startCoturn(lab, { auth: { mode: 'long-term', ...LAB_TURN_USER } });
 *   const broker = await startLabBroker(lab);
 *   const mosquitto = await startLabMosquitto(lab);
 *   const alice = await startLabService(lab, await lab.host('alice', 'cone'), 'Alice', { iceServers: labIceServers(turn), broker, mqttUrl: mosquitto.url });
 *
 * A service here is the one `serviceLaunch` builds for every test: bundled with its plugins
 * config (fixtures/lab.config.ts), run with least privilege, and spoken to over its IPC channel,
 * only its process runs inside the host's namespace (`ip netns exec`, which keeps the channel).
 * Its data folder is in the lab's temp folder; the lab kills the process and removes the folder
 * at close, whatever happened.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProtocolSpec } from '../../../core/protocol';
import { startMosquitto, type Mosquitto } from '../../../plugins/mqtt/testing/mosquitto';
import type { Coturn } from '../../../tools/netlab/coturn';
import type { Lab, LabHost } from '../../../tools/netlab/lab';
import type { LabProcess } from '../../../tools/netlab/processes';
import { spawnService, type SpawnedService, type SpawnOptions } from './spawn';

export const LAB_CONFIG = fileURLToPath(new URL('./fixtures/lab.config.ts', import.meta.url));
const BROKER_CLI = fileURLToPath(new URL('../../../plugins/peerjs/broker-cli.ts', import.meta.url));

/** The TURN user the lab's services are given (coturn's long-term credentials). */
export const LAB_TURN_USER = { username: 'lab-user', password: 'lab-password' } as const;

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * The webrtc plugin's `iceServers` for the lab's coturn. `turn`: which TURN transports to list
 * besides STUN (all three by default; none for STUN only). TURN over TLS is listed as a user
 * would, though @roamhq/wrtc cannot use it with the lab's certificate (tools/netlab/README.md);
 * the werift engine can, trusting it (`turnTlsCa`).
 */
export function labIceServers(coturn: Coturn, turn: readonly ('udp' | 'tcp' | 'tls')[] = ['udp', 'tcp', 'tls']): IceServer[] {
  const urls = { udp: coturn.urls.turnUdp, tcp: coturn.urls.turnTcp, tls: coturn.urls.turns };
  const servers: IceServer[] = [{ urls: [coturn.urls.stun] }];
  if (turn.length > 0) servers.push({ urls: turn.map((t) => urls[t]), username: LAB_TURN_USER.username, credential: LAB_TURN_USER.password });
  return servers;
}

export interface LabBroker {
  readonly host: string;
  readonly port: number;
  readonly process: LabProcess;
  stop(): Promise<void>;
}

/** `npm run broker` on the public segment (the lab's server address), as a process of the
 * public namespace. */
export async function startLabBroker(lab: Lab, port = 9000): Promise<LabBroker> {
  const host = lab.public.address;
  const proc = lab.public.spawnNode('peerjs-broker', BROKER_CLI, ['--host', host, '--port', String(port)]);
  try {
    await proc.printed('PeerJS broker listening on', 30_000);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { host, port, process: proc, stop: () => proc.stop('SIGTERM').then(() => {}) };
}

/** The MQTT port on the public segment (the broker has the namespace to itself). */
export const LAB_MQTT_PORT = 1883;

/** Debian's Mosquitto on the public segment (the lab's server address), as a process of the
 * public namespace; its folder is in the lab's, and the lab kills it at close whatever happened. */
export function startLabMosquitto(lab: Lab, port = LAB_MQTT_PORT): Promise<Mosquitto> {
  return startMosquitto({
    host: lab.public.address,
    port,
    parentDir: lab.dir,
    spawn: (command, args) => lab.public.spawn('mosquitto', command, args).child,
  });
}

export interface LabServiceOptions extends Omit<SpawnOptions, 'spawn' | 'dataDir' | 'config'> {
  /** The webrtc plugin's ICE servers at start (settings may change them later). */
  iceServers?: readonly IceServer[];
  /** The PeerJS broker the peerjs plugin registers on. */
  broker?: Pick<LabBroker, 'host' | 'port'>;
  /** The MQTT broker the mqtt method listens on (without one, the service has no mqtt method). */
  mqttUrl?: string;
  /** The webrtc plugin's engine (default @roamhq/wrtc). */
  engine?: 'wrtc' | 'werift';
  /** The webrtc plugin's `turnTlsCa`: the PEM to trust for turns: servers (the lab coturn's
   * `certificate`); needs engine 'werift'. */
  turnTlsCa?: string;
  /** Another plugins config (default fixtures/lab.config.ts), reading the same environment. */
  config?: string;
}

/** A real service process named `name` on `host`, its data folder in the lab's. */
export async function startLabService<P extends ProtocolSpec>(
  lab: Lab,
  host: LabHost,
  name: string,
  options: LabServiceOptions = {},
): Promise<SpawnedService<P>> {
  const env: Record<string, string> = {
    WHATNEXT_TEST_ICE_SERVERS: JSON.stringify(options.iceServers ?? []),
    ...(options.broker && { WHATNEXT_TEST_BROKER_HOST: options.broker.host, WHATNEXT_TEST_BROKER_PORT: String(options.broker.port) }),
    ...(options.mqttUrl && { WHATNEXT_TEST_MQTT_URL: options.mqttUrl }),
    ...(options.engine && { WHATNEXT_TEST_WEBRTC_ENGINE: options.engine }),
    ...(options.turnTlsCa && { WHATNEXT_TEST_TURN_TLS_CA: options.turnTlsCa }),
    ...(options.env as Record<string, string> | undefined),
  };
  return spawnService<P>({
    ...options,
    name,
    config: options.config ?? LAB_CONFIG,
    dataDir: join(lab.dir, `service-${host.name}-${name.toLowerCase().replace(/[^a-z0-9]/g, '-')}`),
    env,
    spawn: (command, args, processEnv) =>
      host.spawn(`service ${name}`, command, args, { ipc: true, serialization: 'advanced', env: processEnv as Record<string, string> }).child,
  });
}
