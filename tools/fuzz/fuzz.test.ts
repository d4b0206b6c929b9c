/**
 * A bounded fuzz run on every `npm test`: a fixed seed, a few thousand inputs through a real
 * service's IPC and a real browser shell's WebSocket (malformed frames and sparse values
 * included). `npm run fuzz` runs the long one.
 */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../host/service/testing/temp-dirs';
import { runFuzz } from './harness';

describe('fuzzing', () => {
  it('nothing crashes, hangs or answers untyped over 3,000 inputs (seed 20261207)', { timeout: 600_000 }, async () => {
    const report = await runFuzz({ inputs: 3000, seed: 20261207, workDir: tempDir('whatnext-fuzz-') });
    expect(report.inputs).toBe(3000);
    expect(report.findings).toEqual([]);
    expect({ crashed: report.crashed, hung: report.hung, untyped: report.untyped }).toEqual({ crashed: 0, hung: 0, untyped: 0 });
  });
});
