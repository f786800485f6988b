import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { encodeTransfer } from '../../src/core/transfer';
import { MAX_TRANSFER_WIRE_BYTES, type WireMessage } from '../../src/core/wire';
import { MemoryFileStore } from '../../src/net/file-store';
import {
  DEFAULT_GLUE_CHUNK_SIZE,
  DEFAULT_HIGH_WATER,
  MAX_UNANSWERED_OFFERS,
  removeOrphans,
  safeName,
} from '../../src/net/transfers';
import { type MemoryLink, type Side } from './memory-link';
import { chunksAt, connect, fileOf, peer, reload, transferOf, waitFor } from '../support/transfer-peers';

const MiB = 1 << 20;

describe('TransferManager over in-memory links (docs/files.md "Glue")', () => {
  it('sends two files byte-identical with 128 KiB chunks, each chunk once, never queueing past the high-water mark', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    const [la, lb] = await connect(alice, bob);
    const f0 = randomBytes(3 * MiB + 1000),
      f1 = randomBytes(1000);
    const id = await alice.m.send([fileOf(f0, 'holiday.jpg'), fileOf(f1, 'a/b.txt')]);
    // Nothing is read before the offer (docs/files.md §11): no 'preparing' pass, the offer comes first.
    expect(alice.events[0]).toMatchObject({ type: 'offered', id, direction: 'out' });
    const offered = await waitFor(bob, (e) => e.type === 'offered', 'offer at bob');
    expect(offered).toMatchObject({
      id,
      direction: 'in',
      files: [
        { name: 'holiday.jpg', size: f0.length },
        { name: 'a_b.txt', size: 1000 },
      ],
    });
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'complete', 'complete at bob');
    await waitFor(alice, (e) => e.type === 'complete', 'complete at alice');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f0)).toBe(true);
    expect(Buffer.from(await (await bob.m.getFile(id, 1)).arrayBuffer()).equals(f1)).toBe(true);
    const chunks = chunksAt(lb);
    expect(new Set(chunks).size).toBe(chunks.length);
    expect(chunks.length).toBe(Math.ceil(f0.length / DEFAULT_GLUE_CHUNK_SIZE) + 1);
    // Every chunk message carried a full 128 KiB chunk (and fits a frame payload).
    const sizes = lb.received.filter((m) => m.type === 'transfer').map((m) => (m as { data: Uint8Array }).data.length);
    expect(Math.max(...sizes)).toBe(DEFAULT_GLUE_CHUNK_SIZE + 24);
    expect(Math.max(...sizes) + 8).toBeLessThanOrEqual(MAX_TRANSFER_WIRE_BYTES);
    // Backpressure: the queue stayed under the mark plus one message, and the pipe never overflowed.
    expect(alice.m.maxQueued).toBeLessThanOrEqual(DEFAULT_HIGH_WATER + DEFAULT_GLUE_CHUNK_SIZE + 32);
    expect(la.maxBuffered).toBeLessThanOrEqual(DEFAULT_HIGH_WATER + DEFAULT_GLUE_CHUNK_SIZE + 32);
    expect(la.overflowed || lb.overflowed).toBe(false);
    expect(bob.events.filter((e) => e.type === 'file-complete').map((e) => (e as { file: number }).file)).toEqual([
      0, 1,
    ]);
    expect(bob.events.some((e) => e.type === 'progress')).toBe(true);
    expect(bob.m.list()).toMatchObject([
      { id, direction: 'in', status: 'done', done: f0.length + 1000, total: f0.length + 1000 },
    ]);
    expect(alice.m.list()).toMatchObject([{ id, direction: 'out', status: 'done' }]);
    // Saved or dismissed: the stored file and the record are gone.
    await bob.m.dismiss(id);
    expect(await bob.store.list()).toEqual([]);
    expect(bob.db.records.size).toBe(0);
  });

  it('chat goes ahead of file chunks: at most the high-water mark of chunks is queued before a chat message', async () => {
    const alice = await peer('bob', { highWaterBytes: 256 * 1024 }),
      bob = await peer('alice');
    const [la] = await connect(alice, bob, { bytesPerTick: 64 * 1024 });
    const id = await alice.m.send([fileOf(randomBytes(4 * MiB), 'big.bin')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'progress' && e.progress.done >= MiB, '1 MiB received');
    for (let i = 0; i < 5; i++) {
      await la.send({ type: 'chat', id: `c${i}`, text: 'still here?', sentAt: i });
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(bob, (e) => e.type === 'complete', 'complete');
    expect(la.chatQueuedBehind).toHaveLength(5);
    for (const q of la.chatQueuedBehind) expect(q).toBeLessThanOrEqual(256 * 1024 + DEFAULT_GLUE_CHUNK_SIZE + 32);
  });

  it('a link without bufferedAmount/onDrain is still bounded (the manager counts its own unsent bytes)', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    const [la] = await connect(alice, bob, { bare: true, capacity: 2 * MiB });
    const f = randomBytes(2 * MiB + 5);
    const id = await alice.m.send([fileOf(f, 'x')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'complete', 'complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
    expect(la.overflowed).toBe(false);
  });

  it('a flipped bit in one chunk payload that got past the transport (after the wire, before the transfer code) → the file fails its digest: failed, never complete, nothing kept', async () => {
    let flipped = 0;
    const tamper = (m: WireMessage, from: Side): WireMessage | null => {
      const t = transferOf(m);
      if (from === 'a' && t?.type === 'chunk' && t.index === 5 && flipped === 0) {
        flipped++;
        const data = (m as { data: Uint8Array }).data.slice();
        data[24 + 1000]! ^= 0x10; // a bit inside the chunk's bytes
        return { type: 'transfer', data };
      }
      return m;
    };
    const alice = await peer('bob'),
      bob = await peer('alice');
    await connect(alice, bob, { tamper });
    const f = randomBytes(2 * MiB);
    const id = await alice.m.send([fileOf(f, 'x.bin')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    const failed = await waitFor(bob, (e) => e.type === 'failed', 'failed');
    expect(failed).toMatchObject({ failure: { code: 'TRANSFER_FILE_HASH_MISMATCH', fatal: true } });
    await waitFor(alice, (e) => e.type === 'cancelled', 'cancelled at alice');
    expect(flipped).toBe(1);
    expect(bob.events.some((e) => e.type === 'complete' || e.type === 'file-complete')).toBe(false);
    expect(bob.m.list()[0]!.status).toBe('failed');
  });

  it('a dropped link resumes on the next one from the verified prefix, byte-identical', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    const [la, lb] = await connect(alice, bob);
    const f = randomBytes(5 * MiB + 77);
    const id = await alice.m.send([fileOf(f, 'x')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'progress' && e.progress.done >= 2 * MiB, '2 MiB');
    la.cut();
    const before = chunksAt(lb);
    const verified = bob.m.list()[0]!.done;
    expect(verified).toBeLessThan(f.length);
    const [, lb2] = await connect(alice, bob);
    await waitFor(bob, (e) => e.type === 'complete', 'complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
    const after = chunksAt(lb2).map((c) => Number(c.split(':')[1]));
    expect(Math.min(...after)).toBeGreaterThanOrEqual(Math.floor(verified / DEFAULT_GLUE_CHUNK_SIZE));
    expect(before.length + after.length).toBeLessThan(Math.ceil(f.length / DEFAULT_GLUE_CHUNK_SIZE) * 1.5);
  });

  it('a reload of the receiving page resumes from its last saved verified chunk; bytes past it are cut off', async () => {
    const o = { saveEveryBytes: 512 * 1024 };
    const alice = await peer('bob'),
      bob0 = await peer('alice', o);
    const [la] = await connect(alice, bob0);
    const f = randomBytes(4 * MiB + 3);
    const id = await alice.m.send([fileOf(f, 'x')]);
    await waitFor(bob0, (e) => e.type === 'offered', 'offer');
    await bob0.m.accept(id);
    await waitFor(bob0, (e) => e.type === 'progress' && e.progress.done >= 2 * MiB, '2 MiB');
    la.cut();
    const bob = await reload(bob0, 'alice');
    const saved = (bob.db.records.get(id)!.state as { progress: { verified: number }[] }).progress[0]!.verified;
    expect(saved).toBeGreaterThan(0);
    expect(await bob.store.size(id, 0)).toBe(saved * DEFAULT_GLUE_CHUNK_SIZE);
    const [, lb] = await connect(alice, bob);
    await waitFor(bob, (e) => e.type === 'complete', 'complete after reload');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
    expect(Math.min(...chunksAt(lb).map((c) => Number(c.split(':')[1])))).toBe(saved);
  });

  it('closing a manager with chunks still in its queues leaves its files and records alone (what a reload relies on)', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice', { saveEveryBytes: 256 * 1024 });
    await connect(alice, bob, { bytesPerTick: 1 << 20 });
    const id = await alice.m.send([fileOf(randomBytes(6 * MiB), 'x')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'progress' && e.progress.done >= MiB, '1 MiB');
    const closing = bob.m.close(); // chunks already delivered are still being hashed and written
    await closing;
    await new Promise((r) => setTimeout(r, 100));
    expect(bob.db.records.get(id)!.state.status).toBe('active');
    expect(await bob.store.list()).toEqual([id]);
    expect(bob.events.some((e) => e.type === 'failed' || e.type === 'cancelled')).toBe(false);
  });

  it('a reload of the sending page resumes too (files come back from persistence)', async () => {
    const alice0 = await peer('bob'),
      bob = await peer('alice');
    const [la] = await connect(alice0, bob);
    const f = randomBytes(3 * MiB);
    const id = await alice0.m.send([fileOf(f, 'x')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'progress' && e.progress.done >= MiB, '1 MiB');
    la.cut();
    const alice = await reload(alice0, 'bob');
    expect(alice.m.list()).toMatchObject([{ id, direction: 'out', status: 'active' }]);
    await connect(alice, bob);
    await waitFor(alice, (e) => e.type === 'complete', 'complete at alice');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
  });

  it('an offer made while offline goes out on attach; an unanswered offer survives a reload of the receiver', async () => {
    const alice = await peer('bob'),
      bob0 = await peer('alice');
    const id = await alice.m.send([fileOf(randomBytes(10), 'tiny')]);
    const [la] = await connect(alice, bob0);
    await waitFor(bob0, (e) => e.type === 'offered', 'offer');
    la.cut();
    await new Promise((r) => setTimeout(r, 10));
    const bob = await reload(bob0, 'alice');
    expect(bob.m.list()).toMatchObject([{ id, direction: 'in', status: 'offered' }]);
    await connect(alice, bob);
    await bob.m.accept(id);
    await waitFor(alice, (e) => e.type === 'complete', 'complete');
  });

  it('decline: the sender hears it and no chunk is sent', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    const [, lb] = await connect(alice, bob);
    const id = await alice.m.send([fileOf(randomBytes(300_000), 'x')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    bob.m.decline(id);
    expect(await waitFor(alice, (e) => e.type === 'declined', 'declined')).toMatchObject({ id, reason: 'user' });
    expect(chunksAt(lb)).toEqual([]);
    expect(alice.m.list()[0]!.status).toBe('declined');
  });

  for (const who of ['sender', 'receiver'] as const) {
    it(`cancel by the ${who} mid-transfer stops both sides and deletes the partial file`, async () => {
      const alice = await peer('bob'),
        bob = await peer('alice');
      const [la, lb] = await connect(alice, bob);
      const id = await alice.m.send([fileOf(randomBytes(6 * MiB), 'x')]);
      await waitFor(bob, (e) => e.type === 'offered', 'offer');
      await bob.m.accept(id);
      await waitFor(bob, (e) => e.type === 'progress' && e.progress.done >= MiB, '1 MiB');
      (who === 'sender' ? alice : bob).m.cancel(id);
      const other = who === 'sender' ? bob : alice;
      expect(await waitFor(other, (e) => e.type === 'cancelled', 'cancelled')).toMatchObject({
        id,
        by: 'peer',
        reason: 'user',
      });
      await bob.m.close();
      expect(bob.m.list()[0]!.status).toBe('cancelled');
      expect(alice.m.list()[0]!.status).toBe('cancelled');
      expect(await bob.store.list()).toEqual([]);
      while (la.queue.length > 0) await new Promise((r) => setImmediate(r)); // what was already on the wire
      const n = chunksAt(lb).length;
      await new Promise((r) => setTimeout(r, 50));
      expect(chunksAt(lb).length).toBe(n);
      expect(chunksAt(lb).length).toBeLessThan(Math.ceil((6 * MiB) / DEFAULT_GLUE_CHUNK_SIZE));
    });
  }

  for (const who of ['sender cancels', 'receiver dismisses'] as const) {
    it(`${who} while the link is down: the other side learns it on the next link`, async () => {
      const alice = await peer('bob'),
        bob = await peer('alice');
      // A slow wire: under load the whole file could otherwise arrive before the cut, leaving nothing to cancel.
      const [la] = await connect(alice, bob, { bytesPerTick: 8 * 1024 });
      const id = await alice.m.send([fileOf(randomBytes(3 * MiB), 'x')]);
      await waitFor(bob, (e) => e.type === 'offered', 'offer');
      await bob.m.accept(id);
      await waitFor(bob, (e) => e.type === 'progress' && e.progress.done >= MiB / 2, 'some progress');
      la.cut();
      expect(bob.m.list()[0]!.status).toBe('active');
      if (who === 'sender cancels') alice.m.cancel(id);
      else await bob.m.dismiss(id);
      const other = who === 'sender cancels' ? bob : alice;
      await connect(alice, bob);
      expect(await waitFor(other, (e) => e.type === 'cancelled', 'cancelled')).toMatchObject({ id, by: 'peer' });
      expect(other.m.list()[0]!.status).toBe('cancelled');
    });
  }

  it('attacks from the peer: garbage and foreign-id transfer messages are dropped; an offer flood is declined as busy', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    const [la] = await connect(alice, bob);
    const id = await alice.m.send([fileOf(randomBytes(400_000), 'real')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    const foreign = new Uint8Array(16).fill(9);
    await la.send({ type: 'transfer', data: Uint8Array.of(1, 2, 3) });
    await la.send({ type: 'transfer', data: randomBytes(500) });
    await la.send({
      type: 'transfer',
      data: encodeTransfer({ type: 'chunk', id: foreign, file: 0, index: 0, bytes: randomBytes(100) }),
    });
    await la.send({ type: 'transfer', data: encodeTransfer({ type: 'complete', id: foreign }) });
    const offer = (i: number) =>
      encodeTransfer({
        type: 'offer',
        id: Uint8Array.from({ length: 16 }, (_, k) => (k === 0 ? i : 0xee)),
        files: [
          {
            name: `spam${i}`,
            type: '',
            size: 10,
            chunkSize: 1024,
          },
        ],
      });
    for (let i = 0; i < MAX_UNANSWERED_OFFERS + 5; i++) await la.send({ type: 'transfer', data: offer(i) });
    await new Promise((r) => setTimeout(r, 50));
    expect(bob.m.list().filter((t) => t.status === 'offered')).toHaveLength(MAX_UNANSWERED_OFFERS);
    const declines = la.received
      .map(transferOf)
      .filter((t) => t?.type === 'decline' && (t as { reason: string }).reason === 'busy').length;
    expect(declines).toBe(6);
    // Too large (100 GiB), or too many tiny chunks: declined as too-large, never shown.
    const huge = (i: number, size: number, chunkSize: number) =>
      encodeTransfer({
        type: 'offer',
        id: new Uint8Array(16).fill(0x40 + i),
        files: [{ name: 'huge', type: '', size, chunkSize }],
      });
    await bob.m.dismiss(bob.m.list().find((t) => t.id !== id)!.id); // make room below the flood limit
    await la.send({ type: 'transfer', data: huge(1, 100 * 1024 ** 3, 261120) });
    await la.send({ type: 'transfer', data: huge(2, 2 * 1024 ** 3, 1024) });
    await new Promise((r) => setTimeout(r, 50));
    expect(
      la.received
        .map(transferOf)
        .filter((t) => t?.type === 'decline' && (t as { reason: string }).reason === 'too-large'),
    ).toHaveLength(2);
    expect(bob.m.list().some((t) => t.files[0]!.name === 'huge')).toBe(false);
    // The real transfer is unharmed.
    await bob.m.accept(id);
    await waitFor(alice, (e) => e.type === 'complete', 'complete');
  });

  it('startup cleanup removes stored data no record knows; names are made safe for the codec', async () => {
    const store = new MemoryFileStore();
    await (await store.open('a'.repeat(32), 0)).write(0, Uint8Array.of(1));
    await (await store.open('b'.repeat(32), 0)).write(0, Uint8Array.of(1));
    expect(await removeOrphans(store, ['b'.repeat(32)])).toEqual(['a'.repeat(32)]);
    expect(await store.list()).toEqual(['b'.repeat(32)]);
    expect(safeName('../etc/passwd')).toBe('.._etc_passwd');
    expect(safeName('..')).toBe('file');
    expect(safeName('a\u0000b')).toBe('a_b');
    expect(safeName('a\u009bb\u0085')).toBe('a_b_');
    expect(new TextEncoder().encode(safeName('é'.repeat(300))).length).toBeLessThanOrEqual(255);
  });
});

describe('partial accept (docs/app.md "Files": the receiver picks which offered files it wants)', () => {
  it('only the accepted files travel, count and complete; both sides list them; a reload of either page keeps the choice', async () => {
    const o = { saveEveryBytes: 256 * 1024 };
    const alice0 = await peer('bob'),
      bob0 = await peer('alice', o);
    const [la0] = await connect(alice0, bob0, { bytesPerTick: 128 * 1024 });
    const f0 = randomBytes(3 * MiB + 7),
      f1 = randomBytes(2 * MiB),
      f2 = randomBytes(100);
    const id = await alice0.m.send([fileOf(f0, 'a.bin'), fileOf(f1, 'skipped.bin'), fileOf(f2, 'c.txt')]);
    await waitFor(bob0, (e) => e.type === 'offered', 'offer');
    expect(bob0.m.list()[0]!.accepted).toBeNull();
    await bob0.m.accept(id, [2, 0]);
    expect(bob0.m.list()[0]).toMatchObject({ accepted: [0, 2], total: f0.length + f2.length });
    await waitFor(alice0, (e) => e.type === 'accepted', 'accepted');
    expect(alice0.m.list()[0]).toMatchObject({ accepted: [0, 2], total: f0.length + f2.length });
    await waitFor(bob0, (e) => e.type === 'progress' && e.progress.done >= MiB, '1 MiB');
    // Both pages reload mid-transfer: the choice comes back from the saved state on both sides.
    la0.cut();
    const alice = await reload(alice0, 'bob'),
      bob = await reload(bob0, 'alice');
    expect(alice.m.list()[0]!.accepted).toEqual([0, 2]);
    expect(bob.m.list()[0]!.accepted).toEqual([0, 2]);
    const [, lb] = await connect(alice, bob);
    await waitFor(bob, (e) => e.type === 'complete', 'complete');
    await waitFor(alice, (e) => e.type === 'complete', 'sender complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f0)).toBe(true);
    expect(Buffer.from(bob.store.bytes(id, 2)!).equals(f2)).toBe(true);
    // The skipped file never left the sender: no chunk and no hash list for it, before or after the reload.
    const files = (l: MemoryLink) =>
      new Set(
        l.received
          .map(transferOf)
          .filter((t) => t?.type === 'chunk' || t?.type === 'digest')
          .map((t) => (t as { file: number }).file),
      );
    expect([...files(lb), ...files(la0.peer)].includes(1)).toBe(false);
    expect(bob.store.bytes(id, 1)).toBeUndefined();
    await expect(bob.m.getFile(id, 1)).rejects.toThrow();
    for (const p of [alice, bob])
      expect(p.m.list()[0]).toMatchObject({
        status: 'done',
        accepted: [0, 2],
        done: f0.length + f2.length,
        total: f0.length + f2.length,
      });
  });
});
