import { describe, expect, it } from 'vitest';
import { assertBytes, failure } from '../../src/core/errors';

describe('errors', () => {
  it('failure() builds a typed value with ok=false', () => {
    const f = failure('X_CODE', 'client', 'msg2', 'bad');
    expect(f).toEqual({ ok: false, code: 'X_CODE', side: 'client', step: 'msg2', message: 'bad' });
  });
  it('assertBytes names the argument', () => {
    expect(() => assertBytes('networkKey', 'nope', 32)).toThrow(/networkKey: expected Uint8Array/);
    expect(() => assertBytes('networkKey', new Uint8Array(31), 32)).toThrow(/networkKey: expected 32 bytes, got 31/);
    expect(() => assertBytes('networkKey', new Uint8Array(32), 32)).not.toThrow();
  });
});
