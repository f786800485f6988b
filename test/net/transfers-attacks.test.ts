/**
 * Attack tests: what a contact's file offers can make this browser store and show (issue 11,
 * item 4; docs/files.md "Offer flood"), the type a received file is handed out with (item 5), and
 * how its name is shown (item 6).
 * The flooding peer writes raw transfer messages on its end of the link; the receiving side is
 * the real TransferManager over the JSON-cloning persistence.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { encodeTransfer, type FileOffer } from '../../src/core/transfer';
import {
  DOWNLOAD_TYPE,
  MAX_INCOMING_FILES,
  MAX_INCOMING_RECORDS,
  MAX_TOLD_IDS,
  OFFER_RATE,
} from '../../src/net/transfers';
import { linkPair, type MemoryLink } from './memory-link';
import { connect, fileOf, peer, reload, transferOf, waitFor, type Peer } from '../support/transfer-peers';

/** 256 files with 160-byte names: the most an offer message holds (docs/files.md §1). */
function bigOffer(i: number): { id: Uint8Array; files: FileOffer[] } {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(0, i + 1);
  id[15] = 0xf1;
  const files = Array.from({ length: 256 }, (_, f) => ({
    name: `${i}-${f}-`.padEnd(160, 'n'),
    type: 'application/x-spam',
    size: 10,
    chunkSize: 1024,
    sha256: new Uint8Array(32).fill(1),
    hashListRoot: new Uint8Array(32).fill(2),
  }));
  return { id, files };
}

const storedBytes = (p: Peer) =>
  [...p.db.records.values()].reduce((n, r) => n + new TextEncoder().encode(JSON.stringify(r)).length, 0);
const listedFiles = (p: Peer) => p.m.list().reduce((n, t) => n + t.files.length, 0);
/** Writes like a peer sending as fast as the link takes it (waits while its buffer is over 1 MiB). */
async function flood(link: MemoryLink, data: Uint8Array): Promise<void> {
  while (link.bufferedAmount > 1 << 20) await new Promise((r) => setImmediate(r));
  await link.send({ type: 'transfer', data });
}
/** Until the link delivered everything and the receiver's chains (microtasks only, in memory) ran. */
const settle = async (link: MemoryLink) => {
  while (link.bufferedAmount > 0) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('offer flood (issue 11 item 4): a contact cannot make this browser store or show offers without bound', () => {
  it('500 offers of 256 files, each cancelled at once, at 500 a second: stored and listed transfers stay within the limits; a transfer offered before is unharmed', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const alice = await peer('bob', { now }),
      bob = await peer('alice', { now });
    const [la] = await connect(alice, bob);
    const real = await alice.m.send([fileOf(randomBytes(300_000), 'real.bin')]);
    await waitFor(bob, (e) => e.type === 'offered' && e.id === real, 'the real offer');
    const N = 500;
    for (let i = 0; i < N; i++) {
      const o = bigOffer(i);
      await flood(la, encodeTransfer({ type: 'offer', ...o }));
      await flood(la, encodeTransfer({ type: 'cancel', id: o.id, reason: 'user' }));
      clock += 2; // 500 offers a second
      if (i % 50 === 0) await settle(la);
    }
    await settle(la);
    const records = bob.db.records.size,
      bytes = storedBytes(bob),
      listed = bob.m.list().length,
      files = listedFiles(bob);
    console.log(
      `offer flood: ${N} offers of 256 files in ${N * 2} ms → ${records} records, ${bytes} bytes of JSON stored, ${listed} transfers / ${files} files listed`,
    );
    // The bounds of docs/files.md "Offer flood".
    expect(records).toBeLessThanOrEqual(MAX_INCOMING_RECORDS);
    expect(listed).toBeLessThanOrEqual(MAX_INCOMING_RECORDS);
    expect(files).toBeLessThanOrEqual(MAX_INCOMING_FILES + 1);
    // The rate: a burst of OFFER_RATE.capacity new offers, then OFFER_RATE.perSecond (1 s here: nothing).
    expect(listed).toBeLessThanOrEqual(OFFER_RATE.capacity + 1);
    // Every refused offer was declined `busy` to the flooding peer, and said so to the UI.
    const busy = la.received.map(transferOf).filter((t) => t?.type === 'decline' && t.reason === 'busy').length;
    const refused = bob.events.filter((e) => e.type === 'refused').length;
    expect(busy).toBeGreaterThanOrEqual(N - OFFER_RATE.capacity);
    expect(refused).toBe(busy);
    // The transfer offered before the flood is still there and completes.
    await bob.m.accept(real);
    await waitFor(alice, (e) => e.type === 'complete' && e.id === real, 'the real transfer completes');

    // Later, at the allowed rate, offers are taken again and each makes room by forgetting the
    // oldest ended one: the number kept never passes the limit.
    for (let i = N; i < N + 150; i++) {
      clock += 1000 / OFFER_RATE.perSecond;
      const o = bigOffer(i);
      o.files = o.files.slice(0, 4);
      await flood(la, encodeTransfer({ type: 'offer', ...o }));
      await flood(la, encodeTransfer({ type: 'cancel', id: o.id, reason: 'user' }));
      if (i % 20 === 0) await settle(la);
    }
    await settle(la);
    expect(bob.m.list().length).toBeLessThanOrEqual(MAX_INCOMING_RECORDS);
    expect(bob.db.records.size).toBeLessThanOrEqual(MAX_INCOMING_RECORDS);
    expect(bob.m.list().some((t) => t.id === real)).toBe(true); // complete, not yet saved: kept
    expect(bob.events.some((e) => e.type === 'forgotten')).toBe(true);
  });

  it('records left by a flood under the old code are cut to the limits when the manager next opens', async () => {
    const bob = await peer('alice');
    const [la, lb] = linkPair();
    bob.m.attach(lb);
    const o = bigOffer(0);
    o.files = o.files.slice(0, 3);
    await la.send({ type: 'transfer', data: encodeTransfer({ type: 'offer', ...o }) });
    await la.send({ type: 'transfer', data: encodeTransfer({ type: 'cancel', id: o.id, reason: 'user' }) });
    await settle(la);
    // Make the database look like the old code's after a flood: 3 × the limit of ended records.
    const model = [...bob.db.records.values()][0]!;
    expect(model.state.status).toBe('cancelled');
    bob.db.records.clear();
    for (let k = 0; k < 3 * MAX_INCOMING_RECORDS; k++) {
      const id = k.toString(16).padStart(32, '0');
      bob.db.records.set(id, { ...model, id, createdAt: k });
    }
    const bob2 = await reload(bob, 'alice');
    await settle(la);
    expect(bob2.db.records.size).toBeLessThanOrEqual(MAX_INCOMING_RECORDS);
    expect(bob2.m.list().length).toBeLessThanOrEqual(MAX_INCOMING_RECORDS);
    // The newest are the ones kept.
    expect(bob2.m.list().every((t) => t.createdAt >= 2 * MAX_INCOMING_RECORDS)).toBe(true);
  });

  it('transfer messages for unknown ids are answered once each, and the ids remembered are bounded', async () => {
    const bob = await peer('alice');
    const [la, lb] = linkPair();
    bob.m.attach(lb);
    const n = MAX_TOLD_IDS * 3;
    for (let i = 0; i < n; i++) {
      const id = new Uint8Array(16);
      new DataView(id.buffer).setUint32(0, i);
      await la.send({ type: 'transfer', data: encodeTransfer({ type: 'ack', id, file: 0, verified: 1 }) });
    }
    await settle(la);
    const cancels = la.received.map(transferOf).filter((t) => t?.type === 'cancel').length;
    expect(cancels).toBe(n);
    expect(bob.m.toldCount).toBeLessThanOrEqual(MAX_TOLD_IDS);
  });
});

describe('peer-chosen media type (issue 11 item 5)', () => {
  it('a received file offered as text/html is handed out as application/octet-stream; the offered type is still listed', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    await connect(alice, bob);
    const page = new TextEncoder().encode('<script>parent.postMessage("pwned","*")</script>');
    const id = await alice.m.send([
      new File([page], 'invoice.html', { type: 'text/html' }),
      new File([page], 'logo.svg', { type: 'image/svg+xml' }),
    ]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    expect(bob.m.list()[0]!.files.map((f) => f.type)).toEqual(['text/html', 'image/svg+xml']);
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'complete', 'complete');
    for (const f of [0, 1]) {
      const b = await bob.m.getFile(id, f);
      expect(b.type).toBe(DOWNLOAD_TYPE);
      expect(DOWNLOAD_TYPE).toBe('application/octet-stream');
      expect(Buffer.from(await b.arrayBuffer()).equals(Buffer.from(page))).toBe(true);
    }
  });
});

describe('spoofed file names (issue 11 item 6)', () => {
  it('an offered "invoice\\u202Efdp.exe" is listed, shown and downloaded as "invoicefdp.exe"; a saved record from before is cleaned on restore', async () => {
    const bob = await peer('alice');
    const [la, lb] = linkPair();
    bob.m.attach(lb);
    const o = bigOffer(7);
    o.files = [
      { ...o.files[0]!, name: 'invoice\u202Efdp.exe', type: 'text/html\u202E' },
      { ...o.files[0]!, name: 'Ali\u200Bce\u2066.jpg', type: 'Image/JPEG' },
    ];
    await la.send({ type: 'transfer', data: encodeTransfer({ type: 'offer', ...o }) });
    const offered = await waitFor(bob, (e) => e.type === 'offered', 'offer');
    const shown = [
      { name: 'invoicefdp.exe', type: '', size: 10 },
      { name: 'Alice.jpg', type: 'image/jpeg', size: 10 },
    ];
    expect(offered).toMatchObject({ files: shown });
    expect(bob.m.list()[0]!.files).toEqual(shown);
    await settle(la);
    // A record saved by an older build with the raw names: cleaned when it is loaded.
    const [r] = [...bob.db.records.values()];
    bob.db.records.set(r!.id, { ...r!, files: o.files.map((f) => ({ name: f.name, type: f.type, size: f.size })) });
    const bob2 = await reload(bob, 'alice');
    expect(bob2.m.list()[0]!.files).toEqual(shown);
  });
});
