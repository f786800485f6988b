/**
 * Finished transfers leave private storage (docs/files.md "Finished files"): an outgoing transfer
 * that ended drops its stored copies of the files; a received one whose every file was saved has
 * its data removed at the manager's next start, and keeps its record for the chat.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { MemoryFileStore } from '../../src/net/file-store';
import type { TransferRecord } from '../../src/net/transfers';
import { MemoryPersistence } from '../support/transfer-manager';
import { connect, fileOf, peer, reload, waitFor } from '../support/transfer-peers';

/** A database whose saves take a while, as a busy IndexedDB's do. */
class SlowPersistence extends MemoryPersistence {
  override async save(r: TransferRecord): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return super.save(r);
  }
}

const MiB = 1 << 20;

describe('finished transfers and private storage', () => {
  it('the sender drops its stored files when the transfer completes, and a reload still lists it as complete', async () => {
    const alice0 = await peer('bob'),
      bob = await peer('alice');
    await connect(alice0, bob);
    const id = await alice0.m.send([fileOf(randomBytes(MiB), 'a.bin'), fileOf(randomBytes(10), 'b.txt')]);
    expect(alice0.db.blobs.has(id)).toBe(true); // kept for a resume while it runs
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    await waitFor(alice0, (e) => e.type === 'complete', 'complete at alice');
    await new Promise((r) => setTimeout(r, 50)); // the save after the last event
    expect(alice0.db.blobs.has(id)).toBe(false);
    const alice = await reload(alice0, 'bob');
    expect(alice.m.list()).toMatchObject([{ id, direction: 'out', status: 'done' }]);
  });

  it('a declined or cancelled offer drops the stored files too', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    await connect(alice, bob);
    const declined = await alice.m.send([fileOf(randomBytes(1000), 'x')]);
    await waitFor(bob, (e) => e.type === 'offered' && e.id === declined, 'offer 1');
    bob.m.decline(declined);
    await waitFor(alice, (e) => e.type === 'declined', 'declined at alice');
    const cancelled = await alice.m.send([fileOf(randomBytes(1000), 'y')]);
    alice.m.cancel(cancelled);
    await new Promise((r) => setTimeout(r, 50));
    expect([alice.db.blobs.has(declined), alice.db.blobs.has(cancelled)]).toEqual([false, false]);
  });

  it('records saved before this rule (ended, files still stored) are tidied at the next start', async () => {
    const alice0 = await peer('bob'),
      bob = await peer('alice');
    await connect(alice0, bob);
    const id = await alice0.m.send([fileOf(randomBytes(1000), 'x')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    await waitFor(alice0, (e) => e.type === 'complete', 'complete');
    await new Promise((r) => setTimeout(r, 50));
    alice0.db.blobs.set(id, [new Blob(['stale copy'])]); // as an older build left it
    const alice = await reload(alice0, 'bob');
    expect(alice.db.blobs.has(id)).toBe(false);
    expect(alice.m.list()).toMatchObject([{ id, status: 'done' }]);
  });

  it('received files: data stays until every file is saved; then the next start removes it and keeps the record', async () => {
    const alice = await peer('bob'),
      bob0 = await peer('alice');
    await connect(alice, bob0);
    const id = await alice.m.send([
      fileOf(randomBytes(300_000), 'a'),
      fileOf(randomBytes(10), 'b'),
      fileOf(randomBytes(10), 'c'),
    ]);
    await waitFor(bob0, (e) => e.type === 'offered', 'offer');
    await bob0.m.accept(id, [0, 2]);
    await waitFor(bob0, (e) => e.type === 'complete', 'complete at bob');
    expect(() => bob0.m.markSaved(id, 1)).toThrow(/not a received/); // skipped: nothing to save
    bob0.m.markSaved(id, 0);
    const bob1 = await reload(bob0, 'alice');
    expect(await bob1.store.list()).toEqual([id]); // file 2 not saved yet: nothing removed
    expect(bob1.m.list()).toMatchObject([{ id, saved: [0], purged: false }]);
    bob1.m.markSaved(id, 2);
    expect(await bob1.store.list()).toEqual([id]); // not now: the download may still be reading it
    await (await bob1.m.getFile(id, 2)).arrayBuffer();
    const bob = await reload(bob1, 'alice');
    expect(await bob.store.list()).toEqual([]);
    expect(bob.m.list()).toMatchObject([{ id, direction: 'in', status: 'done', saved: [0, 2], purged: true }]);
    await expect(bob.m.getFile(id, 0)).rejects.toThrow(/removed from this browser/);
    await bob.m.dismiss(id);
    expect(bob.db.records.has(id)).toBe(false);
  });

  it('an unfinished incoming transfer cannot be marked saved', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice');
    await connect(alice, bob);
    const id = await alice.m.send([fileOf(randomBytes(10), 'a')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    expect(() => bob.m.markSaved(id, 0)).toThrow(/markSaved/);
  });

  it('the receiver says complete only once its finished state is saved: a reload in between cannot strand it (the sender drops its copies at complete)', async () => {
    const alice = await peer('bob'),
      bob = await peer('alice', {}, new MemoryFileStore(), new SlowPersistence());
    await connect(alice, bob);
    const id = await alice.m.send([fileOf(randomBytes(600_000), 'a')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer');
    await bob.m.accept(id);
    let bobSavedWhenAliceHeard: string | undefined;
    alice.m.on((e) => {
      if (e.type === 'complete') bobSavedWhenAliceHeard = bob.db.records.get(id)?.state.status;
    });
    await waitFor(alice, (e) => e.type === 'complete', 'complete at alice');
    expect(bobSavedWhenAliceHeard).toBe('done');
  });

  it('marking a file saved while other files still arrive flushes before it saves (the saved prefix is on disk)', async () => {
    const alice = await peer('bob'),
      bob0 = await peer('alice');
    const [la] = await connect(alice, bob0, { bytesPerTick: 16 * 1024 });
    const id = await alice.m.send([fileOf(randomBytes(10), 'small'), fileOf(randomBytes(8 * MiB), 'big')]);
    await waitFor(bob0, (e) => e.type === 'offered', 'offer');
    let flushes = 0;
    const open = bob0.store.open.bind(bob0.store);
    bob0.store.open = async (t, f) => {
      const s = await open(t, f);
      const flush = s.flush.bind(s);
      s.flush = () => {
        flushes++;
        return flush();
      };
      return s;
    };
    await bob0.m.accept(id);
    await waitFor(bob0, (e) => e.type === 'file-complete' && e.file === 0, 'small file verified');
    la.cut(); // the big file stays open and unfinished
    const before = flushes,
      saves = bob0.db.saves;
    bob0.m.markSaved(id, 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(bob0.db.saves).toBeGreaterThan(saves);
    expect(flushes).toBeGreaterThan(before);
    expect(bob0.db.records.get(id)).toMatchObject({ saved: [0], state: { status: 'active' } });
    const bob = await reload(bob0, 'alice');
    expect(bob.m.list()).toMatchObject([{ id, saved: [0] }]);
    await connect(alice, bob);
    await waitFor(bob, (e) => e.type === 'complete', 'complete after the reload');
  });
});
