import assert from 'node:assert/strict';
import { TokenCache, type IssuedToken } from '../../src/api/token-cache';
import { ManualClock } from './helpers';

function fixture(expireIn = 7200) {
  const clock = new ManualClock();
  let n = 0;
  const calls: number[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const cache = new TokenCache({
    now: () => clock.now(),
    fetch: async (): Promise<IssuedToken> => {
      calls.push(clock.now());
      if (gate) await gate;
      return { accessToken: `token-${++n}`, expireIn };
    },
  });
  return {
    clock,
    cache,
    calls,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release() {
      gate = undefined;
      release?.();
    },
  };
}

describe('api/TokenCache', () => {
  it('fetches once and reuses the token', async () => {
    const f = fixture();
    assert.equal(await f.cache.get(), 'token-1');
    assert.equal(await f.cache.get(), 'token-1');
    assert.equal(f.calls.length, 1);
  });

  it('shares one in-flight refresh between concurrent callers', async () => {
    const f = fixture();
    f.hold();
    const all = Promise.all([f.cache.get(), f.cache.get(), f.cache.get()]);
    f.release();
    assert.deepEqual(await all, ['token-1', 'token-1', 'token-1']);
    assert.equal(f.calls.length, 1);
  });

  it('refreshes 5 minutes before expireIn', async () => {
    const f = fixture(7200);
    await f.cache.get();
    await f.clock.advance((7200 - 300) * 1000 - 1);
    assert.equal(await f.cache.get(), 'token-1');
    await f.clock.advance(1);
    assert.equal(await f.cache.get(), 'token-2');
    assert.equal(f.calls.length, 2);
  });

  it('uses half the lifetime of short-lived tokens instead of refetching every time', async () => {
    const f = fixture(4);
    await f.cache.get();
    await f.clock.advance(1999);
    assert.equal(await f.cache.get(), 'token-1');
    await f.clock.advance(1);
    assert.equal(await f.cache.get(), 'token-2');
  });

  it('drops a refused token once, however many callers report it', async () => {
    const f = fixture();
    const t = await f.cache.get();
    f.cache.invalidate(t);
    const fresh = await f.cache.get();
    f.cache.invalidate(t); // a late report about the old token must not drop the new one
    assert.equal(await f.cache.get(), fresh);
    assert.equal(f.calls.length, 2);
  });

  it('does not cache a failed fetch', async () => {
    const clock = new ManualClock();
    let fail = true;
    const cache = new TokenCache({
      now: () => clock.now(),
      fetch: async () => {
        if (fail) throw new Error('boom');
        return { accessToken: 'ok', expireIn: 7200 };
      },
    });
    await assert.rejects(cache.get(), /boom/);
    fail = false;
    assert.equal(await cache.get(), 'ok');
  });
});
