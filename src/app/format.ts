/**
 * Sizes, times, dates and plurals through `Intl` (docs/app.md "Words and formats"): no
 * hand-made formatters, so a translation only adds words. The locale is the browser's
 * (`undefined`), or the one given (tests pin `en`).
 * @module
 */

const cache = new Map<
  string,
  Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules | Intl.RelativeTimeFormat | Intl.ListFormat
>();
function cached<
  T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules | Intl.RelativeTimeFormat | Intl.ListFormat,
>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) cache.set(key, (f = make()));
  return f;
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** "12 byte", "1.5 MB", "320 kB": decimal units (1 kB = 1000 B), as file managers show them. */
export function formatBytes(n: number, locale?: string): string {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`formatBytes: n must be a non-negative number, got ${n}`);
  return scaled(n, '', locale);
}

/** A rate, "2.0 MB/s", "320 kB/s": the units and digits of {@link formatBytes}, per second (Intl's compound unit). */
export function formatSpeed(bytesPerSecond: number, locale?: string): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0)
    throw new RangeError(`formatSpeed: bytesPerSecond must be a non-negative number, got ${bytesPerSecond}`);
  return scaled(bytesPerSecond, '-per-second', locale);
}

/** `n` bytes in the largest unit under 1000 of it, one decimal below 10 (none for whole bytes). */
function scaled(n: number, per: '' | '-per-second', locale: string | undefined): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  // Judged after rounding, so 999.7 kB shows as "1.0 MB" (not "1,000 kB") and 9.97 kB as "10 kB".
  if (i < UNITS.length - 1 && Math.round(v) >= 1000) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 || v >= 9.95 ? 0 : 1;
  const f = cached(`b:${locale}:${i}:${digits}:${per}`, () =>
    Intl.NumberFormat(locale, {
      style: 'unit',
      unit: `${UNITS[i]}${per}`,
      unitDisplay: 'short',
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    }),
  );
  return f.format(v);
}

/** A whole percent, "50%" or "50 %" by the locale; `p` is 0..100. */
export function formatPercent(p: number, locale?: string): string {
  return cached(`%:${locale}`, () => Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 })).format(
    p / 100,
  );
}

/** A count, "1,234" or "1 234" by the locale. */
export function formatCount(n: number, locale?: string): string {
  return cached(`n:${locale}`, () => Intl.NumberFormat(locale)).format(n);
}

/** A duration left, rounded up: "5 sec", "3 min" (Intl's short units). */
export function formatDuration(ms: number, locale?: string): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const [value, unit] = s < 90 ? [s, 'second'] : [Math.ceil(s / 60), 'minute'];
  return cached(`d:${locale}:${unit}`, () =>
    Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }),
  ).format(value);
}

/** A short time measured in milliseconds, "3.3 ms", "42 ms" (one decimal below 10). */
export function formatMilliseconds(ms: number, locale?: string): string {
  const digits = ms < 9.95 ? 1 : 0;
  return cached(`ms:${locale}:${digits}`, () =>
    Intl.NumberFormat(locale, {
      style: 'unit',
      unit: 'millisecond',
      unitDisplay: 'short',
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    }),
  ).format(ms);
}

/** A message's clock time, "14:05" or "2:05 PM" by the locale; '' for a time no `Date` can hold. */
export function formatTime(t: number, locale?: string): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return cached(`t:${locale}`, () => Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' })).format(d);
}

/** Midnight (local time) of the day `t` falls on: the key of a date separator. */
export function dayOf(t: number): number {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return 0;
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/**
 * A date separator's words: "today", "yesterday" (Intl.RelativeTimeFormat), a weekday within
 * the last week, the date with the year when it is not this year's.
 */
export function formatDay(t: number, now: number, locale?: string): string {
  const day = dayOf(t);
  const diff = Math.round((dayOf(now) - day) / 86_400_000);
  if (diff === 0 || diff === 1) {
    const rtf = cached(`r:${locale}`, () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));
    const s = rtf.format(-diff, 'day');
    return s.charAt(0).toLocaleUpperCase(locale) + s.slice(1);
  }
  const d = new Date(day);
  if (diff > 1 && diff < 7)
    return cached(`w:${locale}`, () => Intl.DateTimeFormat(locale, { weekday: 'long' })).format(d);
  const sameYear = new Date(now).getFullYear() === d.getFullYear();
  const opts: Intl.DateTimeFormatOptions = sameYear
    ? { weekday: 'short', day: 'numeric', month: 'long' }
    : { day: 'numeric', month: 'long', year: 'numeric' };
  return cached(`D:${locale}:${sameYear}`, () => Intl.DateTimeFormat(locale, opts)).format(d);
}

/** The plural category of `n` ("one", "other", …) for picking a word form. */
export function pluralOf(n: number, locale?: string): Intl.LDMLPluralRule {
  return cached(`p:${locale}`, () => new Intl.PluralRules(locale)).select(n);
}

/** `forms[category]`, falling back to `forms.other`, with `#` replaced by the locale's number. */
export function plural(
  n: number,
  forms: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string },
  locale?: string,
): string {
  const word = forms[pluralOf(n, locale)] ?? forms.other;
  return word.replace('#', formatCount(n, locale));
}

/** Names joined as the locale joins a list: "Ann", "Ann and Bo", "Ann, Bo, and Cy" (Intl.ListFormat). */
export function formatList(items: readonly string[], locale?: string): string {
  return cached(`l:${locale}`, () => new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' })).format(items);
}
