import assert from 'node:assert/strict';
import type { NodeAPI } from 'node-red';
import { translator } from '../../nodes/shared/i18n';

/** Just enough of RED for the translator: a catalog lookup that counts its calls. */
function fakeRed(catalog: Record<string, string>): { RED: NodeAPI; lookups: () => number } {
  let lookups = 0;
  const _ = (key: string, subs?: Record<string, string>): string => {
    lookups += 1;
    const text = catalog[key];
    if (text === undefined) return key;
    return subs ? text.replace(/__(\w+)__/g, (_m, k: string) => subs[k] ?? '') : text;
  };
  return { RED: { _ } as unknown as NodeAPI, lookups: () => lookups };
}

describe('nodes: translator cache', () => {
  it('looks a plain status text up once per runtime, however many messages set it', () => {
    const { RED, lookups } = fakeRed({ 'dingtalk-reply.status.sent': '已发送' });
    const a = translator(RED, 'dingtalk-reply');
    const b = translator(RED, 'dingtalk-reply');
    for (let i = 0; i < 100; i++) assert.equal((i % 2 ? a : b)('status.sent', 'sent'), '已发送');
    assert.equal(lookups(), 1);
  });

  it('still substitutes per call, and falls back to English (uncached) while the catalog lacks a key', () => {
    const { RED, lookups } = fakeRed({ 'dingtalk-send.status.failed': '失败：__reason__' });
    const t = translator(RED, 'dingtalk-send');
    assert.equal(t('status.failed', 'failed: __reason__', { reason: 'x' }), '失败：x');
    assert.equal(t('status.failed', 'failed: __reason__', { reason: 'y' }), '失败：y');
    assert.equal(t('status.sending', 'sending'), 'sending');
    assert.equal(t('status.sending', 'sending'), 'sending');
    assert.equal(t('status.gone', 'gone: __n__', { n: '3' }), 'gone: 3');
    assert.equal(lookups(), 5);
  });

  it('keeps runtimes apart', () => {
    const en = fakeRed({ 'dingtalk-card.status.sent': 'sent' });
    const zh = fakeRed({ 'dingtalk-card.status.sent': '已发送' });
    assert.equal(translator(en.RED, 'dingtalk-card')('status.sent', 'sent'), 'sent');
    assert.equal(translator(zh.RED, 'dingtalk-card')('status.sent', 'sent'), '已发送');
  });
});
