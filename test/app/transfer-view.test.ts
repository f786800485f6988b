import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  acceptBlocked,
  chosenFiles,
  fileState,
  formatBytes,
  formatEta,
  percent,
  statusText,
  type TransferView,
} from '../../src/app/transfer-view';

const view = (o: Partial<TransferView>): TransferView => ({
  id: 'ab'.repeat(16),
  direction: 'in',
  files: [{ name: 'a.txt', type: 'text/plain', size: 10 }],
  status: 'active',
  done: 0,
  total: 10,
  speed: 0,
  etaMs: null,
  createdAt: 0,
  urls: [],
  accepted: null,
  saved: [],
  purged: false,
  ...o,
});

describe('transfer view', () => {
  it('percent stays within 0..100, is 100 only when all is done, and an empty transfer is 100 % once complete', () => {
    fc.assert(
      fc.property(fc.nat(1e12), fc.nat(1e12), (a, b) => {
        const [done, total] = a <= b ? [a, b] : [b, a];
        const p = percent({ done, total, status: 'active' });
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(100);
        expect(p === 100).toBe(total > 0 && done === total);
      }),
    );
    expect(percent({ done: 0, total: 0, status: 'done' })).toBe(100);
    expect(percent({ done: 0, total: 0, status: 'offered' })).toBe(0);
  });

  it('sizes and time left in words', () => {
    // Through Intl (src/app/format.ts), in the locale given (the app passes none: the browser's).
    expect(formatBytes(1700, 'en')).toBe('1.7 kB');
    expect(formatBytes(52_428_800, 'en')).toBe('52 MB');
    expect(formatBytes(5e9, 'de')).toMatch(/^5,0\sGB$/);
    expect(formatEta(null)).toBe('');
    expect(formatEta(4200, 'en')).toBe('about 5 sec left');
    expect(formatEta(600_000, 'en')).toBe('about 10 min left');
  });

  it('the status says how each transfer ended, with the words the tests look for', () => {
    expect(statusText(view({ status: 'done' }), 'Alice')).toContain('complete');
    expect(statusText(view({ status: 'failed', problem: 'hash mismatch' }), 'Alice')).toBe('failed — hash mismatch');
    expect(statusText(view({ status: 'cancelled', cancelledBy: 'peer' }), 'Alice')).toBe('cancelled by Alice');
    expect(statusText(view({ status: 'cancelled' }), 'Alice')).toBe('cancelled');
    expect(statusText(view({ status: 'declined', direction: 'out' }), 'Alice')).toBe('declined by Alice');
    expect(statusText(view({ status: 'active', done: 5, speed: 2_000_000, etaMs: 2500 }), 'Alice')).toBe(
      'receiving 50% · 2.0 MB/s · about 3 sec left',
    );
    expect(statusText(view({ status: 'offered', direction: 'out' }), 'Alice')).toBe('waiting for Alice to accept');
    for (const status of ['offered', 'active'] as const)
      expect(statusText(view({ status }), 'Alice')).not.toMatch(/complete|failed|cancelled/);
  });

  it('partial accept: every file ticked until unticked; none ticked blocks Accept with a reason; skipped files are named as such', () => {
    expect(chosenFiles(undefined, 3)).toEqual([0, 1, 2]);
    expect(chosenFiles([true, false], 3)).toEqual([0, 2]);
    expect(chosenFiles([false, false, false], 3)).toEqual([]);
    expect(acceptBlocked([])).toMatch(/at least one file/);
    expect(acceptBlocked([1])).toBeNull();
    const three = [
      { name: 'a', type: '', size: 1 },
      { name: 'b', type: '', size: 2 },
      { name: 'c', type: '', size: 3 },
    ];
    expect(fileState(view({ accepted: null }), 1)).toBe('offered');
    expect(fileState(view({ accepted: [0, 2] }), 1)).toBe('skipped');
    expect(fileState(view({ accepted: [0, 2] }), 2)).toBe('accepted');
    expect(fileState(view({ accepted: [], status: 'declined' }), 0)).toBe('offered');
    expect(statusText(view({ files: three, accepted: [0, 2], status: 'done' }), 'Alice')).toBe(
      'complete — verified · 1 of 3 files skipped',
    );
    expect(statusText(view({ files: three, accepted: [0, 1, 2], status: 'done', direction: 'out' }), 'Alice')).toBe(
      'complete — Alice has verified it',
    );
    expect(statusText(view({ files: three, accepted: [], status: 'declined' }), 'Alice')).toBe('declined');
  });
});
