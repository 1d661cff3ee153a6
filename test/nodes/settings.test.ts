import assert from 'node:assert/strict';
import { positiveNumber } from '../../src/msg/settings';

describe('nodes/settings: positiveNumber', () => {
  it('reads a positive number typed in the editor, as text or as a number', () => {
    assert.equal(positiveNumber('2.5'), 2.5);
    assert.equal(positiveNumber(' 10 '), 10);
    assert.equal(positiveNumber(300), 300);
  });

  it('leaves empty, zero, negative and non-numeric settings to the caller default', () => {
    for (const setting of [undefined, null, '', ' ', '0', 0, -1, '-3', 'abc', Number.NaN, Number.POSITIVE_INFINITY, '1e999']) {
      assert.equal(positiveNumber(setting), undefined, String(setting));
    }
  });
});
