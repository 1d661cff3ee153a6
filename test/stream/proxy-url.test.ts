import assert from 'node:assert/strict';
import { ProxyAgent } from 'undici';
import { createTunnelAgent, proxyFromEnv, resolveProxy } from '../../src/util/proxy';
import { ProxySettingError, normalizeProxy, parseProxyUrl, proxyUrlOf, redactProxy } from '../../src/util/proxy-url';

describe('util: reading a proxy setting', () => {
  it('takes host:port without a scheme as http://, as curl does', () => {
    assert.equal(normalizeProxy('proxy.corp:3128'), 'http://proxy.corp:3128');
    assert.equal(normalizeProxy('localhost:3128'), 'http://localhost:3128');
    assert.equal(normalizeProxy('127.0.0.1:3128'), 'http://127.0.0.1:3128');
    assert.equal(normalizeProxy('[::1]:3128'), 'http://[::1]:3128');
    assert.equal(normalizeProxy(' https://proxy.corp:8443/ '), 'https://proxy.corp:8443');
    assert.equal(normalizeProxy('user:pw@proxy.corp:3128'), 'http://user:pw@proxy.corp:3128');
  });

  it('keeps user and password apart, decoded, and encodes them back for the HTTP stack', () => {
    const parsed = parseProxyUrl('http://proxyuser:p%40ss@127.0.0.1:3128');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.parts, { origin: 'http://127.0.0.1:3128', user: 'proxyuser', password: 'p@ss' });
    assert.equal(proxyUrlOf({ origin: 'http://127.0.0.1:3128', user: 'a b', password: 'x:y@z%' }), 'http://a%20b:x%3Ay%40z%25@127.0.0.1:3128');
    assert.equal(proxyUrlOf({ origin: 'http://127.0.0.1:3128', user: '', password: '' }), 'http://127.0.0.1:3128');
  });

  it('says why a setting cannot be used: not a URL, another scheme, a broken %-escape', () => {
    assert.deepEqual(parseProxyUrl('http://exa mple:3128'), { ok: false, problem: 'notUrl', shown: 'http://exa mple:3128' });
    assert.deepEqual(parseProxyUrl('http://'), { ok: false, problem: 'notUrl', shown: 'http://' });
    assert.deepEqual(parseProxyUrl('socks5://127.0.0.1:1080'), { ok: false, problem: 'scheme', shown: 'socks5://127.0.0.1:1080' });
    assert.deepEqual(parseProxyUrl('http://user:p%zz@proxy:3128'), { ok: false, problem: 'escape', shown: 'http://***@proxy:3128' });
    assert.deepEqual(parseProxyUrl('http://user:100%@proxy:3128'), { ok: false, problem: 'escape', shown: 'http://***@proxy:3128' });
  });

  it('never shows a user name or password, even of a setting it cannot parse', () => {
    assert.equal(redactProxy('http://bob:s3cret@proxy:3128/x'), 'http://***@proxy:3128/x');
    assert.equal(redactProxy('bob:s3cret@proxy:3128'), '***@proxy:3128');
    assert.equal(redactProxy('http://bob:s3c@ret@pro xy:3128'), 'http://***@pro xy:3128');
    const error = new ProxySettingError('escape', redactProxy('http://bob:s3%cret@proxy:1'), 'HTTPS_PROXY');
    assert.ok(!error.message.includes('s3'), error.message);
    assert.match(error.message, /HTTPS_PROXY environment variable/);
    assert.match(error.message, /%25/);
  });

  it('reads HTTPS_PROXY=proxy.corp:3128 like curl, and names the variable of one it cannot use', () => {
    assert.equal(proxyFromEnv('https://api.dingtalk.com', { HTTPS_PROXY: 'proxy.corp:3128' }), 'http://proxy.corp:3128');
    assert.equal(proxyFromEnv('http://127.0.0.1:1', { http_proxy: 'proxy.corp:8080' }), 'http://proxy.corp:8080');
    assert.throws(
      () => proxyFromEnv('https://api.dingtalk.com', { HTTPS_PROXY: 'http://u:pa%ss@proxy.corp:3128' }),
      (e: unknown) => e instanceof ProxySettingError && e.variable === 'HTTPS_PROXY' && e.problem === 'escape' && !e.message.includes('pa%ss'),
    );
    assert.throws(
      () => resolveProxy('ftp://proxy:21', 'https://api.dingtalk.com', {}),
      (e: unknown) => e instanceof ProxySettingError && e.problem === 'scheme',
    );
  });

  it('gives the HTTP stack only URLs it accepts (the raw settings made undici and the tunnel throw)', () => {
    // Before, these reached undici / the tunnel as typed: InvalidArgumentError and "URI malformed".
    assert.throws(() => new ProxyAgent('proxy.corp:3128'));
    assert.throws(() => new ProxyAgent('http://u:p%zz@proxy.corp:3128'), /URI malformed/);
    const url = resolveProxy('proxy.corp:3128', 'https://api.dingtalk.com', {})!;
    const agent = new ProxyAgent(url);
    void agent.close();
    createTunnelAgent({ proxy: url, secure: true, timeoutMs: 1000 }).destroy();
  });
});
