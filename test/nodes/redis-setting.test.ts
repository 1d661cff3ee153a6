import assert from 'node:assert/strict';
import { redisSetting } from '../../src/app-config/redis-setting';

describe('redisSetting (the app Redis URL field)', () => {
  it('is undefined when empty: one instance, nothing shared', () => {
    assert.equal(redisSetting(undefined, 'pw'), undefined);
    assert.equal(redisSetting('  ', 'pw'), undefined);
  });

  it('takes redis:// and rediss:// (TLS) with the credential password', () => {
    assert.deepEqual(redisSetting('redis://cache:6379/2', 'pw'), {
      ok: true,
      url: 'redis://cache:6379/2',
      password: 'pw',
      passwordInUrl: false,
      shown: 'redis://cache:6379/2',
    });
    const tls = redisSetting(' rediss://user@cache.example.com:6380 ', undefined);
    assert.ok(tls?.ok);
    assert.equal(tls.url, 'rediss://user@cache.example.com:6380');
    assert.equal(tls.password, '');
  });

  it('takes a password out of the URL (still used unless the credential is set) and never shows it', () => {
    const old = redisSetting('redis://:s%40cret@cache:6379', undefined);
    assert.ok(old?.ok);
    assert.equal(old.password, 's@cret');
    assert.equal(old.passwordInUrl, true);
    assert.ok(!old.url.includes('cret') && !old.shown.includes('cret'));
    const both = redisSetting('redis://:old@cache:6379', 'new');
    assert.ok(both?.ok);
    assert.equal(both.password, 'new');
  });

  it('refuses what cannot be used, with the reason and without the password', () => {
    for (const [raw, problem] of [
      ['cache:6379', 'scheme'],
      ['not a url', 'notUrl'],
      ['http://u:secret1@cache:6379', 'scheme'],
      ['redis://:bad%zzsecret1@cache', 'escape'],
    ] as const) {
      const got = redisSetting(raw, undefined);
      assert.ok(got && !got.ok, raw);
      assert.equal(got.problem, problem, raw);
      assert.ok(!got.shown.includes('secret1'), got.shown);
    }
  });
});
