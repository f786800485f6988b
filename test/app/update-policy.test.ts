import { describe, expect, it } from 'vitest';
import { busyTransfers, updateStep } from '../../src/app/update-policy';
import type { TransferView } from '../../src/app/transfer-view';

const t = (status: TransferView['status']): TransferView => ({
  id: status,
  direction: 'in',
  files: [],
  status,
  done: 0,
  total: 1,
  speed: 0,
  etaMs: null,
  createdAt: 0,
  urls: [],
  accepted: null,
  saved: [],
  purged: false,
});

describe('a new version takes over', () => {
  const idle = { waiting: true, clicked: false, controlling: false, busy: 0 };

  it('only after the click on Reload', () => {
    expect(updateStep(idle)).toBe('none');
    expect(updateStep({ ...idle, clicked: true })).toBe('activate');
  });

  it('never while a transfer moves, even after the click; then as soon as it ends', () => {
    expect(updateStep({ ...idle, clicked: true, busy: 1 })).toBe('none');
    expect(updateStep({ ...idle, controlling: true, busy: 2 })).toBe('none');
    expect(updateStep({ ...idle, clicked: true, busy: 0 })).toBe('activate');
  });

  it('reloads once the new worker controls the page (this tab or another clicked)', () => {
    expect(updateStep({ ...idle, controlling: true })).toBe('reload');
    expect(updateStep({ waiting: false, clicked: false, controlling: true, busy: 0 })).toBe('reload');
  });

  it('does nothing without a waiting version', () => {
    expect(updateStep({ waiting: false, clicked: true, controlling: false, busy: 0 })).toBe('none');
  });
});

describe('busy transfers', () => {
  it('counts transfers moving, not offers, finished or failed ones', () => {
    expect(busyTransfers({})).toBe(0);
    expect(
      busyTransfers({
        a: [t('active'), t('offered'), t('done')],
        b: [t('active'), t('failed'), t('cancelled'), t('declined')],
      }),
    ).toBe(2);
  });
});
