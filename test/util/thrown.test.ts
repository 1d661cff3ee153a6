import { strict as assert } from 'node:assert';
import { describeThrown } from '../../src/util/thrown';

describe('describeThrown', () => {
  it('reads Errors, strings and primitives', () => {
    assert.equal(describeThrown(new TypeError('bad')), 'bad');
    assert.equal(describeThrown(new RangeError('')), 'RangeError');
    assert.equal(describeThrown('text'), 'text');
    assert.equal(describeThrown(42), '42');
    assert.equal(describeThrown(10n), '10');
    assert.equal(describeThrown(undefined), 'undefined');
  });

  it('never throws, whatever was thrown', () => {
    assert.equal(describeThrown(Object.create(null)), 'an unprintable object was thrown');
    const trap = (): never => {
      throw Object.create(null);
    };
    const proxy = new Proxy({}, { get: trap, getPrototypeOf: trap });
    assert.equal(describeThrown(proxy), 'an unprintable object was thrown');
    const sneaky = new Error('x');
    Object.defineProperty(sneaky, 'message', { get: trap });
    assert.equal(describeThrown(sneaky), 'an unprintable object was thrown');
  });
});
