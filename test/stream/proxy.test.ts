import assert from 'node:assert/strict';
import { bypassesProxy, proxyFromEnv, resolveProxy } from '../../src/util/proxy';

describe('util: proxy resolution', () => {
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://plain.corp:8080' };

  it('uses HTTPS_PROXY for https/wss targets and HTTP_PROXY for http/ws targets', () => {
    assert.equal(proxyFromEnv('https://api.dingtalk.com', env), 'http://proxy.corp:3128');
    assert.equal(proxyFromEnv('wss://wss-open-connection.dingtalk.com/connect', env), 'http://proxy.corp:3128');
    assert.equal(proxyFromEnv('http://127.0.0.1:1234', env), 'http://plain.corp:8080');
    assert.equal(proxyFromEnv('https://api.dingtalk.com', { https_proxy: 'http://lower:1' }), 'http://lower:1');
    assert.equal(proxyFromEnv('https://api.dingtalk.com', {}), undefined);
  });

  it('honours NO_PROXY entries: hosts, domain suffixes, ports and *', () => {
    const target = 'https://api.dingtalk.com';
    assert.equal(proxyFromEnv(target, { ...env, NO_PROXY: 'dingtalk.com' }), undefined);
    assert.equal(proxyFromEnv(target, { ...env, NO_PROXY: 'localhost, .dingtalk.com' }), undefined);
    assert.equal(proxyFromEnv(target, { ...env, no_proxy: '*.dingtalk.com' }), undefined);
    assert.equal(proxyFromEnv(target, { ...env, NO_PROXY: '*' }), undefined);
    assert.equal(proxyFromEnv(target, { ...env, NO_PROXY: 'notdingtalk.com' }), 'http://proxy.corp:3128');
    assert.equal(proxyFromEnv(target, { ...env, NO_PROXY: 'api.dingtalk.com:8443' }), 'http://proxy.corp:3128');
    assert.equal(bypassesProxy(new URL('https://api.dingtalk.com'), 'api.dingtalk.com:443'), true);
    assert.equal(bypassesProxy(new URL('http://[::1]:9000/x'), '[::1]:9000'), true);
  });

  it('prefers an explicit proxy over the environment', () => {
    assert.equal(resolveProxy('http://explicit:1', 'https://api.dingtalk.com', env), 'http://explicit:1');
    assert.equal(resolveProxy(undefined, 'https://api.dingtalk.com', env), 'http://proxy.corp:3128');
  });
});
