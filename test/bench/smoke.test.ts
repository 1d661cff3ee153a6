import assert from 'node:assert/strict';
import { measureThroughputOnce } from '../../bench/scenario-throughput';

/**
 * The scenario-1 machinery of `npm run bench`, small: our StreamClient in its own process, the simulator driver in
 * another, a windowed flood of robot messages. Asserts delivery only (every frame acked exactly once, each handed
 * to the handler once); timing belongs to the bench, not to tests.
 */
describe('bench: scenario 1 smoke', () => {
  for (const window of [64, 1]) {
    it(`acks every frame exactly once and calls the handler once per frame (W=${window})`, async () => {
      const n = window === 1 ? 100 : 500;
      const run = await measureThroughputOnce('ours', { n, window, text: 'bench smoke', warmup: 0 });
      assert.equal(run.acked, n);
      assert.equal(run.ackedOnce, n);
      assert.equal(run.handled, n);
    });
  }
});
