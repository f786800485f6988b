/** Pending resets (docs/session.md §4): every waiter gets the new session, or RESET_STOPPED. */
import { describe, expect, it } from 'vitest';
import { ResetRequests } from '../../src/app/reset-requests';

describe('ResetRequests', () => {
  it('keeps the latest reason, resolves every waiter once with the new session, then forgets the request', async () => {
    const r = new ResetRequests();
    const a = r.add('c1', 'asked by the person'),
      b = r.add('c1', 'decryption keeps failing');
    expect(r.has('c1')).toBe(true);
    expect(r.reason('c1')).toBe('decryption keeps failing');
    expect(r.has('c2')).toBe(false);
    r.settle('c1', 'ab'.repeat(32));
    expect(await Promise.all([a, b])).toEqual([
      { ok: true, sessionId: 'ab'.repeat(32) },
      { ok: true, sessionId: 'ab'.repeat(32) },
    ]);
    expect(r.has('c1')).toBe(false);
  });

  it('stopAll answers RESET_STOPPED', async () => {
    const r = new ResetRequests();
    const a = r.add('c1', 'x');
    r.stopAll();
    expect(await a).toMatchObject({ ok: false, code: 'RESET_STOPPED' });
    expect(r.has('c1')).toBe(false);
  });
});
