/**
 * What plugins receive in hooks. Type-level: tsc (npm run typecheck) fails these, vitest only
 * lists them.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { ConnectionRecord } from './hooks';

type Public = ConnectionRecord['connection'];

describe('ConnectionRecord', () => {
  it('gives plugins the public connection, none of what the ConnectionManager drives', () => {
    expectTypeOf<keyof Public>().toEqualTypeOf<
      'id' | 'state' | 'stage' | 'remote' | 'closeReason' | 'opened' | 'closed' | 'channel' | 'close' | 'stats' | 'on'
    >();
    // The members issue 13 found leaking, by name, so a failure says which.
    expectTypeOf<Public>().not.toHaveProperty('sink');
    expectTypeOf<Public>().not.toHaveProperty('setStage');
    expectTypeOf<Public>().not.toHaveProperty('handshakeNonce');
    expectTypeOf<Public>().not.toHaveProperty('presign');
    expectTypeOf<Public>().not.toHaveProperty('signalledHello');
    expectTypeOf<Public>().not.toHaveProperty('acceptSignalledHello');
    expectTypeOf<Public>().not.toHaveProperty('attach');
    expectTypeOf<Public>().not.toHaveProperty('fail');
    expectTypeOf<Public>().not.toHaveProperty('handshakeAhead');
  });

  it("core's index does not export the connection's internal type", () => {
    // @ts-expect-error UpgradingConnection is for core/kernel only
    expectTypeOf<import('../index').UpgradingConnection>().not.toBeAny();
  });
});
