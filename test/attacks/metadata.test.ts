/**
 * Attack: an honest-but-curious relay operator keeps every frame the relay forwards
 * (test/support/recording-relay.ts). Claim under test (DESIGN.md "What the signaling server may
 * learn"): it learns room ids, sealed blob sizes and timing — no identity key, DTLS fingerprint,
 * SDP line, ICE candidate, invite or session secret, name or message text, in any common encoding.
 * A whole pairing (invite, proof, names, chat) and a second meeting at the contacts' daily
 * rendezvous run through it with the real openLink over node-datachannel on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rmSync } from 'node:fs';
import { WebSocket } from 'ws';
import { compareBytes, fingerprint, safetyNumber } from '../../src/core/identity';
import {
  createInvite,
  encodeInvite,
  inviteLink,
  inviteProof,
  parseInvite,
  verifyInviteProof,
} from '../../src/core/invite';
import {
  contactRendezvousSecret,
  dayOf,
  deriveContactSecret,
  encodeSignal,
  roomId,
  sealSignal,
} from '../../src/core/rendezvous';
import { sdpFingerprint } from '../../src/net/peer';
import type { SecureLink } from '../../src/net/link';
import { findLeaks, type Secret } from '../support/leakscan';
import { readRecording, startRecordingRelay, type RecordingRelay } from '../support/recording-relay';
import { Meetings, chat, random, received, spiedWrtc, type Person } from './meeting';

let relay: RecordingRelay | null = null;
let out: string | null = null;
const meetings = new Meetings();
afterEach(async () => {
  await meetings.closeAll();
  await relay?.close();
  relay = null;
  if (out) rmSync(out, { force: true });
  out = null;
});

const link = <T extends { ok: boolean }>(r: T): SecureLink => {
  if (!r.ok) throw new Error(`expected a link, got ${JSON.stringify(r)}`);
  return (r as unknown as { link: SecureLink }).link;
};

/** Every secret of a run, as the leak scanner takes them. */
function secretsOf(people: Person[], seen: { sdp: string[]; candidates: string[] }, extra: Secret[]): Secret[] {
  const secrets: Secret[] = [...extra];
  for (const p of people) {
    secrets.push(
      { label: `${p.name}: identity public key`, value: p.identity.publicKey },
      { label: `${p.name}: identity secret key`, value: p.identity.secretKey },
      { label: `${p.name}: key fingerprint label`, value: fingerprint(p.identity.publicKey) },
      { label: `${p.name}: display name`, value: p.name },
    );
  }
  for (const sdp of new Set(seen.sdp)) {
    const fp = sdpFingerprint(sdp);
    if (!fp.ok) throw new Error(`an SDP without a fingerprint: ${fp.message}`);
    const colon = Buffer.from(fp.fingerprint).toString('hex').toUpperCase().match(/../g)!.join(':');
    secrets.push(
      { label: 'DTLS fingerprint (bytes)', value: fp.fingerprint },
      { label: 'DTLS fingerprint (colon hex)', value: colon },
    );
  }
  for (const line of new Set(seen.sdp.flatMap((s) => s.split(/\r?\n/))))
    if (line.length >= 8) secrets.push({ label: `SDP line "${line}"`, value: line });
  for (const c of new Set(seen.candidates)) secrets.push({ label: `ICE candidate "${c}"`, value: c });
  return secrets;
}

describe('what a recording relay learns from a pairing and a chat', () => {
  it('only room ids and padded sealed blobs: no key, fingerprint, SDP, candidate, secret, name or text', async () => {
    out = join(tmpdir(), `parley-metadata-${process.pid}-${Date.now()}.jsonl`);
    relay = await startRecordingRelay({ out });
    const { wrtc, seen } = spiedWrtc();
    const alice = meetings.person('Alice Liddell', relay.signalUrl);
    const bob = meetings.person('Bob the Builder', relay.signalUrl);
    const texts = [
      'the eagle lands at midnight, bring the blue umbrella',
      'understood: blue umbrella, platform nine',
      'tomorrow at the daily rendezvous',
    ];

    // Pairing through an invite link (the invitee is the SHS client).
    const invite = createInvite({ inviterKey: alice.identity.publicKey, name: alice.name, now: Date.now(), random });
    const parsed = parseInvite(inviteLink(relay.url, invite), Date.now());
    if (!parsed.ok) throw new Error(parsed.message);
    const first = await meetings.meet({ server: alice, client: bob, secret: parsed.invite.rendezvousSecret, wrtc });
    const atAlice = link(first.server),
      atBob = link(first.client);
    await atBob.send({ type: 'hello', name: bob.name });
    await atBob.send({ type: 'invite-proof', proof: inviteProof(parsed.invite.inviteSecret, atBob.handshakeSecret) });
    const proof = await received(alice, (m) => m.type === 'invite-proof');
    expect(
      proof.type === 'invite-proof' && verifyInviteProof(invite.inviteSecret, atAlice.handshakeSecret, proof.proof),
    ).toBe(true);
    await atAlice.send({ type: 'invite-result', accepted: true });
    await atAlice.send({ type: 'hello', name: alice.name });
    await atAlice.send(chat(texts[0]!, 'c1'));
    await received(bob, (m) => m.type === 'chat' && m.text === texts[0]);
    await atBob.send(chat(texts[1]!, 'c2'));
    await received(alice, (m) => m.type === 'chat' && m.text === texts[1]);
    const handshakeSecret = atAlice.handshakeSecret;
    await atBob.close();

    // Next day's kind of meeting: the contacts' daily rendezvous, the lower key is the client.
    const contactSecret = deriveContactSecret(handshakeSecret);
    const daySecret = contactRendezvousSecret(contactSecret, dayOf(Date.now()));
    const [lower, higher] =
      compareBytes(alice.identity.publicKey, bob.identity.publicKey) < 0 ? [alice, bob] : [bob, alice];
    const second = await meetings.meet({ server: higher, client: lower, secret: daySecret, wrtc });
    await link(second.client).send(chat(texts[2]!, 'c3'));
    await received(higher, (m) => m.type === 'chat' && m.text === texts[2]);

    const frames = [...relay.frames];
    expect(frames.length).toBeGreaterThanOrEqual(8); // hellos, offers, answers, candidates of two meetings
    expect(readRecording(out)).toEqual(frames); // the file holds exactly what was recorded
    // The relay learns which rooms were used…
    expect(new Set(frames.map((f) => f.room))).toEqual(new Set([roomId(invite.rendezvousSecret), roomId(daySecret)]));
    // …and blob sizes, padded: 1 version + 24 nonce + 16 tag + a multiple of 512.
    for (const f of frames) expect((Buffer.from(f.data, 'base64url').length - 41) % 512).toBe(0);
    // …but nothing else.
    const secrets = secretsOf([alice, bob], seen, [
      { label: 'invite code', value: encodeInvite(invite) },
      { label: 'invite rendezvous secret', value: invite.rendezvousSecret },
      { label: 'invite secret', value: invite.inviteSecret },
      { label: 'handshake secret', value: handshakeSecret },
      { label: 'contact secret', value: contactSecret },
      { label: 'contact day rendezvous secret', value: daySecret },
      { label: 'safety number', value: safetyNumber(alice.identity.publicKey, bob.identity.publicKey) },
      ...texts.map((t, i) => ({ label: `message text ${i}`, value: t })),
    ]);
    // The spy saw both meetings' SDPs and candidates, so the scan covers them.
    expect(secrets.filter((s) => s.label === 'DTLS fingerprint (bytes)').length).toBeGreaterThanOrEqual(4);
    expect(secrets.filter((s) => s.label.startsWith('ICE candidate')).length).toBeGreaterThanOrEqual(2);
    expect(
      findLeaks(
        secrets,
        frames.map((f) => f.raw),
      ),
    ).toEqual([]);

    // Control: the scanner flags what a careless client would send — the same signal unsealed —
    // recorded by the same relay, while the sealed form of it stays clean.
    const offerSdp = seen.sdp.find((s) => s.includes('a=setup:actpass'))!;
    const envelope = encodeSignal({
      kind: 'offer',
      from: 'carelessclient01',
      payload: { type: 'offer', sdp: offerSdp },
    });
    const careless = new WebSocket(relay.signalUrl);
    const listener = new WebSocket(relay.signalUrl);
    await Promise.all([careless, listener].map((ws) => new Promise((r) => ws.once('open', r))));
    const room = roomId(random(32));
    const delivered = new Promise<void>((r) =>
      listener.on('message', (m) => {
        if (String(m).includes('"message"')) r();
      }),
    );
    for (const ws of [listener, careless]) ws.send(JSON.stringify({ type: 'subscribe', room }));
    await new Promise((r) => setTimeout(r, 100));
    careless.send(JSON.stringify({ type: 'publish', room, data: Buffer.from(envelope).toString('base64url') }));
    careless.send(
      JSON.stringify({
        type: 'publish',
        room,
        data: Buffer.from(sealSignal(random(32), envelope, random)).toString('base64url'),
      }),
    );
    await delivered;
    while (relay.frames.length < frames.length + 2) await new Promise((r) => setTimeout(r, 20));
    careless.close();
    listener.close();
    const [unsealed, sealed] = relay.frames.slice(-2);
    const flagged = new Set(findLeaks(secrets, [unsealed!.raw]).map((l) => l.label));
    expect(flagged).toContain('DTLS fingerprint (colon hex)');
    expect([...flagged].some((l) => l.startsWith('SDP line'))).toBe(true);
    expect(findLeaks(secrets, [sealed!.raw])).toEqual([]);
  });
});
