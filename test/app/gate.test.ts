import { describe, expect, it } from 'vitest';
import { Gate } from '../../src/app/gate';

describe('Gate', () => {
  it('resolves once the condition holds after open(), not before', async () => {
    const gate = new Gate();
    let ready = false,
      done = false;
    const waiting = gate
      .wait(() => ready, 60_000)
      .then(() => {
        done = true;
      });
    gate.open(); // woken, but the condition is still false: it keeps waiting
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    ready = true;
    gate.open();
    await waiting;
    expect(done).toBe(true);
  });

  it('re-checks by itself when nobody calls open()', async () => {
    const gate = new Gate();
    let checks = 0;
    await gate.wait(() => ++checks >= 3, 5);
    expect(checks).toBe(3);
  });
});
