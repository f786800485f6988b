// When a session resets by itself (docs/key-change.md §5): after RESET_AFTER_FAILURES busted-ratchet
// failures in a row from one contact, once per streak; replays and other contacts do not count.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FailureStreak, RESET_AFTER_FAILURES, resetCause, resetNoticeText } from '../../src/app/reset-policy';

describe('automatic reset', () => {
  it('fires once at the limit, not for replays, and a decrypted message starts the count again', () => {
    const s = new FailureStreak();
    const fire = (code: string | null, who = 'bob') => s.note(who, code);
    for (let i = 1; i < RESET_AFTER_FAILURES; i++) expect(fire('RATCHET_BAD_HEADER')).toBe(false);
    expect(fire('RATCHET_REPLAY')).toBe(false);
    expect(fire('RATCHET_BAD_HEADER', 'carol')).toBe(false);
    expect(fire('RATCHET_BAD_CIPHERTEXT')).toBe(true);
    expect(fire('RATCHET_BAD_HEADER')).toBe(false); // once per streak
    expect(fire(null)).toBe(false);
    for (let i = 1; i < RESET_AFTER_FAILURES; i++) expect(fire('RATCHET_TOO_MANY_SKIPPED')).toBe(false);
    s.clear('bob');
    expect(fire('RATCHET_BAD_HEADER')).toBe(false);
  });

  it('property: fires exactly when a run of counted failures reaches the limit', () => {
    const codes = fc.constantFrom(
      null,
      'RATCHET_BAD_HEADER',
      'RATCHET_BAD_CIPHERTEXT',
      'RATCHET_REPLAY',
      'SESSION_NO_SESSION',
    );
    fc.assert(
      fc.property(fc.array(codes, { maxLength: 40 }), (seq) => {
        const s = new FailureStreak(3);
        let run = 0;
        for (const c of seq) {
          const counted = c === 'RATCHET_BAD_HEADER' || c === 'RATCHET_BAD_CIPHERTEXT';
          if (c === null) run = 0;
          else if (counted) run++;
          expect(s.note('bob', c)).toBe(counted && run === 3);
        }
      }),
    );
  });

  it('the reason of a pending reset maps to the cause in the notice; none pending is no cause', () => {
    expect(resetCause(null)).toBeNull();
    expect(['asked', 'failures', 'contact', 'key'].map(resetCause)).toEqual(['asked', 'failures', 'contact', 'key']);
    expect(resetCause('debugging')).toBe('asked');
  });

  it('the notice says it was a reset, and why', () => {
    const t = resetNoticeText({ at: Date.UTC(2026, 0, 1, 12), cause: 'failures' }, 'Bob');
    expect(t).toContain('reset');
    expect(t).toContain('could not be decrypted');
    expect(resetNoticeText({ at: 0, cause: 'contact' }, 'Bob')).toContain("Bob's app asked");
  });
});
