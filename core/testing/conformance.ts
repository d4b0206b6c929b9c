/**
 * The transport conformance suite. A transport author calls
 *
 *   describeTransportConformance('my transport', fromTransport(myTransport));
 *
 * (or passes a fixture with a `connect(sinkA, sinkB)` of their own) in a vitest file, and gets
 * the pipe contract checked directly, then core's connection run over the pipes: handshake,
 * small and large messages, ordering, channels, requests, backpressure, close reasons, pipe
 * failure and timer leaks.
 *
 * Every case waits for events, never for time, and is bounded by a per-case timeout.
 */
import { afterAll, describe, it } from 'vitest';
import { backpressureCases } from './transport-conformance/backpressure';
import { bindingCases } from './transport-conformance/bindings';
import { closeCases } from './transport-conformance/close';
import { connectionCases } from './transport-conformance/connection';
import { diallingCases } from './transport-conformance/dialling';
import type { Case, ConformanceFixture } from './transport-conformance/fixture';
import { pipeContractCases } from './transport-conformance/pipe-contract';

export { PEER_A, PEER_B, fromTransport, openPipes } from './transport-conformance/fixture';
export type { ConformanceFixture, OpenPipes, TransportFixtureOptions } from './transport-conformance/fixture';
export { checkBackpressure, checkBufferedAmount, checkSlowReaderHoldsSender } from './transport-conformance/backpressure';
export { checkCleanClose } from './transport-conformance/close';

/** The suite, one `describe` per concern (each in ./transport-conformance/). */
export function describeTransportConformance(name: string, fixture: ConformanceFixture): void {
  const timeout = fixture.timeoutMs ?? 30_000;
  const test: Case = (title, body) => it(title, (ctx) => body(ctx as unknown as { skip(note?: string): never }), timeout);

  describe(`transport conformance: ${name}`, () => {
    afterAll(async () => {
      await fixture.teardown?.();
    });
    describe('pipe contract', () => pipeContractCases(fixture, test));
    describe('bindings', () => bindingCases(fixture, test));
    describe('backpressure', () => backpressureCases(fixture, test));
    describe('close semantics', () => closeCases(fixture, test));
    describe('connection behaviour', () => connectionCases(fixture, test));
    const transport = fixture.transport;
    if (transport) describe('dialling', () => diallingCases(transport, test));
  });
}
