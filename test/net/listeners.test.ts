/**
 * The listener helpers of the link layers (src/net/listeners.ts): early items wait for the first
 * listener, in order; a close heard once, also by a listener added after it.
 */
import { describe, expect, it } from 'vitest';
import { BufferedListeners, OnceListeners } from '../../src/net/listeners';

describe('BufferedListeners', () => {
  it('keeps what comes before the first listener, hands it over in order, then delivers to all', () => {
    const l = new BufferedListeners<number>();
    l.emit(1);
    l.emit(2);
    const a: number[] = [];
    const b: number[] = [];
    const offA = l.add((x) => a.push(x));
    l.add((x) => b.push(x));
    l.emit(3);
    offA();
    l.emit(4);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([3, 4]);
  });

  it('dropEarly forgets what nobody read; a throwing listener is reported and the others still run', () => {
    const errors: unknown[] = [];
    const l = new BufferedListeners<string>((e) => errors.push(e));
    l.emit('lost');
    l.dropEarly();
    const got: string[] = [];
    l.add(() => {
      throw new Error('bug');
    });
    l.add((x) => got.push(x));
    l.emit('x');
    expect(got).toEqual(['x']);
    expect(errors).toHaveLength(1);
    const plain = new BufferedListeners<string>();
    plain.add(() => {
      throw new Error('bug');
    });
    expect(() => plain.emit('y')).toThrow('bug');
  });
});

describe('OnceListeners', () => {
  it('fires once; a listener added later hears the same value on a microtask; a removed one nothing', async () => {
    const l = new OnceListeners<string>();
    const heard: string[] = [];
    const off = l.add((v) => heard.push(`removed ${v}`));
    l.add((v) => heard.push(`early ${v}`));
    off();
    expect(l.fired).toBe(false);
    expect(l.fire('closed')).toBe(true);
    expect(l.fire('again')).toBe(false);
    l.add((v) => heard.push(`late ${v}`));
    expect(heard).toEqual(['early closed']);
    await Promise.resolve();
    expect(heard).toEqual(['early closed', 'late closed']);
    expect(() => l.add(null as unknown as () => void)).toThrow(TypeError);
  });
});
