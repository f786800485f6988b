/** Steps the group e2e specs share (docs/groups.md §10): pairing two people, making and opening a group. */
import { expect, type Page } from '@playwright/test';
import { expectConnected, makeInvite, openInviteLink, type Person } from './app';

/** `b` becomes a contact of `a` through a's invite. */
export async function pair(a: Person, b: Person): Promise<void> {
  await openInviteLink(b, await makeInvite(a));
  await expectConnected(b, a.name);
  await expectConnected(a, b.name);
}

/** Ticks the contacts named `names` in the group form. */
export async function choose(page: Page, names: string[]): Promise<void> {
  for (const n of names) await page.getByTestId('group-member-option').filter({ hasText: n }).locator('input').check();
}

/** Opens group `name`'s chat. */
export async function openGroup(p: Person, name: string): Promise<void> {
  await p.page.getByTestId('group-item').filter({ hasText: name }).click();
  await expect(p.page.getByTestId('group-members')).toBeVisible();
}
