/**
 * Whether a PeerJS broker answers at all: one HTTP GET of its path, any response counting
 * (PeerServer answers its path with a short JSON description). Cheaper than a registration,
 * and bounded in time where a registration waits for the broker's confirmation.
 */
import type { BrokerAddress } from './broker-session';

/** How long a probe waits for any answer. */
export const PROBE_TIMEOUT_MS = 1000;

export async function brokerAnswers(broker: BrokerAddress, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  const host = broker.host.includes(':') ? `[${broker.host}]` : broker.host;
  try {
    const response = await fetch(`${broker.secure ? 'https' : 'http'}://${host}:${broker.port}${broker.path}`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
