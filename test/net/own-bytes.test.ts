import { describe, expect, it } from 'vitest';
import { messageBytes, ownBytes } from '../../src/net/peer';

describe('ownBytes (a received message as bytes this side owns)', () => {
  it('keeps a view over a whole buffer as is: a big message is not copied', () => {
    const ab = new ArrayBuffer(256 * 1024);
    const out = ownBytes(Buffer.from(ab));
    expect(out.buffer).toBe(ab);
    expect(out.length).toBe(ab.byteLength);
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
  });

  it('copies a slice of a shared buffer (node Buffer pool): other bytes stay out of reach', () => {
    const small = Buffer.from([1, 2, 3]); // from node's 8 KiB pool
    expect(small.buffer.byteLength).toBeGreaterThan(3);
    const out = ownBytes(small);
    expect(out.buffer).not.toBe(small.buffer);
    expect(out.buffer.byteLength).toBe(3);
    expect([...out]).toEqual([1, 2, 3]);
  });
});

describe('messageBytes (a data channel message event as bytes)', () => {
  it('views a whole ArrayBuffer without copying it', () => {
    const ab = new ArrayBuffer(256 * 1024);
    const out = messageBytes(ab);
    expect(out.buffer).toBe(ab);
    expect(out.length).toBe(ab.byteLength);
  });

  it('copies a view over part of a buffer, and encodes text as UTF-8', () => {
    const ab = new Uint8Array([9, 1, 2, 3, 9]).buffer;
    const out = messageBytes(new DataView(ab, 1, 3));
    expect(out.buffer).not.toBe(ab);
    expect([...out]).toEqual([1, 2, 3]);
    expect([...messageBytes('hé')]).toEqual([0x68, 0xc3, 0xa9]);
  });

  it('refuses anything else with a TypeError that names what came', () => {
    expect(() => messageBytes(42)).toThrow(/type number/);
    expect(() => messageBytes(null)).toThrow(TypeError);
  });
});
