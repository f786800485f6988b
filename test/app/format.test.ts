import { describe, expect, it } from 'vitest';
import {
  dayOf,
  formatBytes,
  formatCount,
  formatDay,
  formatDuration,
  formatMilliseconds,
  formatPercent,
  formatSpeed,
  formatTime,
  plural,
} from '../../src/app/format';

describe('Intl formats (docs/app.md "Words and formats")', () => {
  it('sizes in decimal units with one decimal under 10', () => {
    expect(formatBytes(0, 'en')).toBe('0 byte');
    expect(formatBytes(999, 'en')).toBe('999 byte');
    expect(formatBytes(1500, 'en')).toBe('1.5 kB');
    expect(formatBytes(320_000, 'en')).toBe('320 kB');
    expect(formatBytes(12_345_678, 'en')).toBe('12 MB');
    expect(formatBytes(2.5e9, 'en')).toBe('2.5 GB');
    expect(formatBytes(1500, 'de')).toBe('1,5 kB');
    expect(() => formatBytes(-1)).toThrow(/formatBytes: n must be/);
    // Judged after rounding: never "1,000 kB" or "10.0 kB".
    expect(formatBytes(999_700, 'en')).toBe('1.0 MB');
    expect(formatBytes(9_970, 'en')).toBe('10 kB');
    expect(formatBytes(999, 'en')).toBe('999 byte');
  });
  it('speeds, percents, counts and milliseconds through Intl', () => {
    expect(formatSpeed(2_000_000, 'en')).toBe('2.0 MB/s');
    expect(formatSpeed(2500, 'en')).toBe('2.5 kB/s');
    expect(formatSpeed(12_345_678, 'en')).toBe('12 MB/s');
    expect(formatSpeed(1500, 'de')).toBe('1,5 kB/s');
    expect(formatSpeed(999.6, 'en')).toBe('1.0 kB/s');
    expect(() => formatSpeed(Number.NaN)).toThrow(/formatSpeed: bytesPerSecond must be/);
    expect(formatPercent(50, 'en')).toBe('50%');
    expect(formatPercent(50, 'fr')).toMatch(/^50\s%$/);
    expect(formatCount(1234, 'en')).toBe('1,234');
    expect(formatMilliseconds(3.25, 'en')).toBe('3.3 ms');
    expect(formatMilliseconds(41.6, 'en')).toBe('42 ms');
  });
  it('durations left round up, seconds then minutes', () => {
    expect(formatDuration(4001, 'en')).toBe('5 sec');
    expect(formatDuration(180_000, 'en')).toBe('3 min');
  });
  it('times by the locale, and nothing for a time no Date can hold', () => {
    const t = new Date(2026, 11, 5, 14, 5).getTime();
    expect(formatTime(t, 'en-GB')).toBe('14:05');
    expect(formatTime(t, 'en-US')).toMatch(/^2:05\sPM$/);
    expect(formatTime(9e15, 'en')).toBe('');
  });
  it('date separators: today, yesterday, a weekday this week, a date, the year when it differs', () => {
    const now = new Date(2026, 11, 5, 9, 0).getTime(); // a Saturday
    expect(formatDay(new Date(2026, 11, 5, 0, 1).getTime(), now, 'en')).toBe('Today');
    expect(formatDay(new Date(2026, 11, 4, 23, 59).getTime(), now, 'en')).toBe('Yesterday');
    expect(formatDay(new Date(2026, 11, 1, 12).getTime(), now, 'en')).toBe('Tuesday');
    expect(formatDay(new Date(2026, 5, 1, 12).getTime(), now, 'en')).toBe('Mon, June 1');
    expect(formatDay(new Date(2025, 5, 1, 12).getTime(), now, 'en')).toBe('June 1, 2025');
    expect(formatDay(new Date(2026, 11, 4, 12).getTime(), now, 'fr')).toBe('Hier');
    expect(dayOf(new Date(2026, 11, 5, 23, 59).getTime())).toBe(new Date(2026, 11, 5).getTime());
  });
  it('plurals by the locale’s rules', () => {
    const forms = { one: '# new message', other: '# new messages' };
    expect(plural(1, forms, 'en')).toBe('1 new message');
    expect(plural(2, forms, 'en')).toBe('2 new messages');
    expect(plural(1234, forms, 'en')).toBe('1,234 new messages');
    // Polish has "few" and "many": a missing form falls back to "other".
    expect(plural(3, { one: '# plik', few: '# pliki', other: '# plików' }, 'pl')).toBe('3 pliki');
    expect(plural(5, { one: '# plik', few: '# pliki', other: '# plików' }, 'pl')).toBe('5 plików');
  });
});
