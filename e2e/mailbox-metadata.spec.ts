/**
 * What the relay stores for the mailbox (issue 12; docs/security.md "What the relay learns: the
 * mailbox"): the app in Chromium, served by the recording relay process, leaves messages for a
 * friend who is away; every blob it stored is scanned (test/support/leakscan.ts) for the texts,
 * names, identity and ML-KEM keys and the session ids and room keys the two browsers hold, and
 * is exactly one size class long; a control shows the scan finds a planted key.
 */
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { makeInvite, expectConnected, send, message, person, openInviteLink } from './support/app';
import { identityKey } from './support/webrtc-spy';
import { findLeaks, type Secret } from '../test/support/leakscan';
import type { RecordedMailbox } from '../test/support/recording-relay';
import { recordingRelayFixture } from './support/recording';
import { E2E_PORT } from '../playwright.config';
import { kemKeyPair, sessionRows } from './support/session';

const fx = recordingRelayFixture();
const people = fx.people;

const readMailbox = (file: string): RecordedMailbox[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RecordedMailbox);

test('blobs left at the relay for a friend who is away hold no key, name, session secret or text, and are padded', async ({
  browser,
}) => {
  const relay = await fx.start(E2E_PORT + 7, 'mailbox');
  const enter = async (name: string) => {
    const p = await person(browser, name, { baseURL: relay.url });
    people.push(p);
    return p;
  };
  const alice = await enter('Alice Liddell');
  const bob = await enter('Bob the Builder');
  const texts = ['the parcel is with the neighbour at number twelve', 'call me when you are back home'];
  await openInviteLink(bob, await makeInvite(alice));
  await expectConnected(bob, alice.name);
  await expectConnected(alice, bob.name);

  await bob.page.close();
  await expect(alice.page.getByTestId('connection-status')).toHaveAttribute('data-state', 'waiting', {
    timeout: 45_000,
  });
  for (const t of texts) await send(alice, t);
  for (const t of texts)
    await expect(message(alice, t).getByTestId('message-delivered')).toHaveAttribute('data-state', 'mailbox');
  bob.page = await bob.context.newPage();
  await bob.page.goto('/');
  await bob.page.getByTestId('contact-item').filter({ hasText: alice.name }).click();
  for (const t of texts) await expect(message(bob, t)).toBeVisible();
  for (const t of texts)
    await expect(message(alice, t).getByTestId('message-delivered')).toHaveAttribute('data-state', 'delivered');

  const recorded = readMailbox(relay.mailbox);
  const puts = recorded.filter((r) => r.op === 'mailbox-put');
  expect(puts.length).toBeGreaterThanOrEqual(texts.length);
  // Every blob is exactly one size class: a short text or receipt is 1 KiB.
  expect(new Set(puts.map((p) => Buffer.from(p.data!, 'base64url').length))).toEqual(new Set([1024]));
  // Bob fetched and acknowledged at the address Alice put to.
  const aliceToBob = puts[0]!.address;
  expect(recorded.some((r) => r.op === 'mailbox-fetch' && r.address === aliceToBob)).toBe(true);
  expect(recorded.some((r) => r.op === 'mailbox-ack' && r.address === aliceToBob)).toBe(true);

  const secrets: Secret[] = texts.map((t) => ({ label: 'message text', value: t }));
  for (const p of [alice, bob]) {
    secrets.push(
      { label: `${p.name}: identity key`, value: await identityKey(p.page) },
      { label: `${p.name}: name`, value: p.name },
    );
    const kem = await kemKeyPair(p.page);
    secrets.push({ label: `${p.name}: ML-KEM public key`, value: kem.publicKey });
    for (const r of await sessionRows(p.page))
      if (r.session)
        secrets.push(
          { label: `${p.name}: session id`, value: r.session.id },
          { label: `${p.name}: session room key`, value: r.session.roomKey },
        );
  }
  expect(secrets.filter((s) => s.label.endsWith('session room key')).length).toBe(2);
  const raw = recorded.map((r) => JSON.stringify(r));
  expect(findLeaks(secrets, raw)).toEqual([]);

  // Control: the scan can fail — Alice's key planted in a put of the same shape is found there alone.
  const aliceKey = secrets.find((s) => s.label === `${alice.name}: identity key`)!;
  const planted = JSON.stringify({ ...puts[0], data: Buffer.from(aliceKey.value as Uint8Array).toString('base64url') });
  const leaks = findLeaks(secrets, [...raw, planted]);
  expect(new Set(leaks.map((l) => l.frameIndex))).toEqual(new Set([raw.length]));
});
