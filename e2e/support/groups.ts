/**
 * Steps the group e2e specs share (docs/groups.md §10): pairing two people, making a group,
 * waiting for it to arrive and opening it.
 */
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

/** `p` makes group `name` with its contacts named `members`; it shows in p's list. */
export async function createGroup(p: Person, name: string, members: string[]): Promise<void> {
  await p.page.getByTestId('group-create').click();
  await p.page.getByTestId('group-name-input').fill(name);
  await choose(p.page, members);
  await p.page.getByTestId('group-create-submit').click();
  await expect(p.page.getByTestId('group-item').filter({ hasText: name })).toBeVisible();
}

/** Waits up to `timeout` ms for group `name` to reach `p`, then opens it. */
export async function joinGroup(p: Person, name: string, timeout: number): Promise<void> {
  await expect(p.page.getByTestId('group-item').filter({ hasText: name })).toBeVisible({ timeout });
  await openGroup(p, name);
}

/**
 * The usual start of a group spec: `admin` pairs with each of `members`, makes group `name` with
 * them, and each member opens it once it arrived (within `arrivalTimeout` ms). The admin's view
 * stays where it was.
 */
export async function startGroup(
  admin: Person,
  members: Person[],
  name: string,
  arrivalTimeout = 45_000,
): Promise<void> {
  for (const m of members) await pair(admin, m);
  await createGroup(
    admin,
    name,
    members.map((m) => m.name),
  );
  for (const m of members) await joinGroup(m, name, arrivalTimeout);
}
