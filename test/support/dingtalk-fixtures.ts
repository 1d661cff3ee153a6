import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** test/fixtures/dingtalk, read from the sources: the compiled tests run from dist/test/<dir>. */
export const DINGTALK_FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'dingtalk');

/** A payload as DingTalk publishes it, without its `_source` (which every fixture must have). */
export function readDingTalkFixture(name: string): Record<string, unknown> {
  const { _source, ...payload } = JSON.parse(readFileSync(join(DINGTALK_FIXTURES, name), 'utf8')) as Record<string, unknown>;
  assert.ok(typeof _source === 'string' && _source !== '', `${name} names its source`);
  return payload;
}
