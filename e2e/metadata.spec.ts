/**
 * What the relay sees (DESIGN.md "What the signaling server may learn"; docs/attack-harnesses.md):
 * the app in Chromium, served by the recording relay process (test/support/recording-relay.ts),
 * pairs through an invite, chats, then meets again at the contacts' daily rendezvous after a
 * reload and chats again. The leak scanner (test/support/leakscan.ts) finds none of the secrets
 * the pages held — from an in-page WebRTC spy, IndexedDB (identity, ML-KEM key, session id and
 * room key) and the invite — in the JSON-lines
 * recording; a control shows the scan does find a planted key.
 */
import { test, expect } from '@playwright/test';
import { makeInvite, expectConnected, send, message, person, openInviteLink } from './support/app';
import { spyOnWebRTC, webrtcSeen, fingerprints, identityKey, type SeenWebRTC } from './support/webrtc-spy';
import { findLeaks, type Secret } from '../test/support/leakscan';
import { readRecording } from '../test/support/recording-relay';
import { recordingRelayFixture } from './support/recording';
import { parseInvite } from '../src/core/invite';
import { roomId } from '../src/core/rendezvous';
import { E2E_PORT } from '../playwright.config';
import { kemKeyPair, sessionRows } from './support/session';

const fx = recordingRelayFixture();
const people = fx.people;

/** Every value a page's WebRTC stack produced that must stay between the two browsers. */
function webrtcSecrets(name: string, seen: SeenWebRTC): Secret[] {
  const out: Secret[] = [];
  for (const f of fingerprints(seen.sdp))
    out.push(
      { label: `${name}: DTLS fingerprint`, value: f.bytes },
      { label: `${name}: DTLS fingerprint text`, value: f.text },
    );
  for (const l of new Set(seen.sdp.flatMap((s) => s.split(/\r?\n/))))
    if (l.length >= 8) out.push({ label: `${name}: SDP line ${l}`, value: l });
  for (const c of new Set(seen.candidates)) out.push({ label: `${name}: ICE candidate ${c}`, value: c });
  return out;
}

test('first meeting and reconnection: no key, name, invite secret, fingerprint, SDP line, candidate or text in any frame the relay forwarded', async ({
  browser,
}) => {
  const relay = await fx.start(E2E_PORT + 1, 'record');
  const out = relay.out;
  // Names of 8+ characters: shorter strings would match the scan by chance.
  const enter = async (name: string) => {
    const p = await person(browser, name, { baseURL: relay.url, init: spyOnWebRTC });
    people.push(p);
    return p;
  };
  const alice = await enter('Alice Liddell');
  const bob = await enter('Bob the Builder');
  const texts = [
    'meet me under the clock at half past nine',
    'bring the map, not the compass',
    'the eagle lands at midnight, bring the blue umbrella',
    'understood: blue umbrella, platform nine',
  ];

  // First meeting: the invite.
  const link = await makeInvite(alice);
  const parsed = parseInvite(link, Date.now());
  if (!parsed.ok) throw new Error(`the app made an invite it cannot read: ${parsed.message}`);
  const inviteRoom = roomId(parsed.invite.rendezvousSecret);
  await openInviteLink(bob, link);
  await expectConnected(bob, alice.name);
  await expectConnected(alice, bob.name);
  await send(alice, texts[0]!);
  await expect(message(bob, texts[0]!)).toBeVisible();
  await send(bob, texts[1]!);
  await expect(message(alice, texts[1]!)).toBeVisible();
  const firstMeeting = readRecording(out).length;
  const bobBefore = await webrtcSeen(bob.page); // the reload clears the page's record

  // Reconnection: a second meeting, at the contacts' daily rendezvous rather than the invite's.
  await bob.page.reload();
  await expectConnected(bob, alice.name);
  await send(bob, texts[2]!);
  await expect(message(alice, texts[2]!)).toBeVisible();
  await send(alice, texts[3]!);
  await expect(message(bob, texts[3]!)).toBeVisible();

  const frames = readRecording(out);
  expect(firstMeeting).toBeGreaterThanOrEqual(4); // offers, answers, candidates went through it
  expect(frames.map((f) => f.room)).toContain(inviteRoom);
  const later = frames.slice(firstMeeting);
  expect(later.length).toBeGreaterThanOrEqual(4);
  expect(later.some((f) => f.room !== inviteRoom)).toBe(true);

  const secrets: Secret[] = texts.map((t) => ({ label: 'message text', value: t }));
  secrets.push(
    { label: 'invite code', value: link.slice(link.indexOf('#invite=') + '#invite='.length) },
    { label: 'invite rendezvous secret', value: parsed.invite.rendezvousSecret },
    { label: 'invite secret', value: parsed.invite.inviteSecret },
  );
  for (const p of [alice, bob]) {
    secrets.push(
      { label: `${p.name}: identity key`, value: await identityKey(p.page) },
      { label: `${p.name}: name`, value: p.name },
    );
    // The ML-KEM key travels only inside the secure channel (docs/session.md §1), and the
    // session's ids and room keys never leave the two browsers.
    const kem = await kemKeyPair(p.page);
    secrets.push(
      { label: `${p.name}: ML-KEM public key`, value: kem.publicKey },
      { label: `${p.name}: ML-KEM secret key`, value: kem.secretKey },
    );
    const rows = await sessionRows(p.page);
    expect(rows.filter((r) => r.session).length).toBe(1);
    for (const r of rows)
      if (r.session)
        secrets.push(
          { label: `${p.name}: session id`, value: r.session.id },
          { label: `${p.name}: session room key`, value: r.session.roomKey },
        );
    const seen = await webrtcSeen(p.page);
    expect(seen.sdp.length).toBeGreaterThan(0);
    secrets.push(...webrtcSecrets(p.name, seen));
  }
  expect(bobBefore.sdp.length).toBeGreaterThan(0);
  secrets.push(...webrtcSecrets(`${bob.name} (first meeting)`, bobBefore));
  expect(secrets.filter((s) => s.label.endsWith('DTLS fingerprint')).length).toBeGreaterThanOrEqual(3);
  expect(secrets.filter((s) => s.label.includes('ICE candidate')).length).toBeGreaterThan(0);

  const raw = frames.map((f) => f.raw);
  expect(findLeaks(secrets, raw)).toEqual([]);

  // Control: the scan can fail. Alice's key in base64url, in a frame of the same shape, is found
  // — in that frame and nowhere else.
  const aliceKey = secrets.find((s) => s.label === `${alice.name}: identity key`)!;
  const planted = JSON.stringify({
    type: 'message',
    room: frames[0]!.room,
    data: Buffer.from(aliceKey.value as Uint8Array).toString('base64url'),
  });
  const leaks = findLeaks(secrets, [...raw, planted]);
  expect(leaks.map((l) => l.label)).toContain(aliceKey.label);
  expect(new Set(leaks.map((l) => l.frameIndex))).toEqual(new Set([raw.length]));
});
