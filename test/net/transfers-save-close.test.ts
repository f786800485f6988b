/**
 * "Save" clicked, then the page reloads at once (docs/files.md §14, "A save that a close lost"):
 * the mark is kept, and what the closing manager's receiver does meanwhile — a chunk it still had
 * queued, whose write a closed manager refuses, fails the receiver in memory — is never what gets
 * saved. The order is forced with gates on the disk: no timing is assumed.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { MemoryFileStore, type FileSink } from '../../src/net/file-store';
import { DEFAULT_GLUE_CHUNK_SIZE } from '../../src/net/transfers';
import { chunksAt, connect, fileOf, peer, reload, waitFor } from '../support/transfer-peers';

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 1));
}

/** Held until opened; `entered` resolves when the first caller waits on it. */
class Gate {
  armed = false;
  #open!: () => void;
  #entered!: () => void;
  readonly opened = new Promise<void>((r) => (this.#open = r));
  readonly entered = new Promise<void>((r) => (this.#entered = r));
  async pass(): Promise<void> {
    if (!this.armed) return;
    this.#entered();
    await this.opened;
  }
  open(): void {
    this.#open();
  }
}

/** File 1's writes from its 4th chunk on wait for `writeGate`; its flushes wait for `flushes` once armed. */
class GatedStore extends MemoryFileStore {
  readonly writeGate = new Gate();
  readonly flushes = new Gate();
  override async open(transferId: string, fileIndex: number): Promise<FileSink> {
    const s = await super.open(transferId, fileIndex);
    if (fileIndex !== 1) return s;
    return {
      ...s,
      write: async (offset, bytes) => {
        if (offset >= 3 * DEFAULT_GLUE_CHUNK_SIZE) await this.writeGate.pass();
        return s.write(offset, bytes);
      },
      flush: async () => {
        await this.flushes.pass();
        return s.flush();
      },
    };
  }
}

describe('markSaved right before a close (docs/files.md §14)', () => {
  it('a file saved while the next one still arrives: after the reload the transfer is active, the mark kept', async () => {
    const store = new GatedStore();
    store.writeGate.armed = true;
    const alice = await peer('bob'),
      bob0 = await peer('alice', { saveEveryBytes: 1 }, store);
    const [, lb] = await connect(alice, bob0);
    // File 0 done: from here on a save waits in file 1's flush, so the person's save queues behind it.
    bob0.m.on((e) => {
      if (e.type === 'file-complete' && e.file === 0) store.flushes.armed = true;
    });
    const big = randomBytes(12 * DEFAULT_GLUE_CHUNK_SIZE);
    const id = await alice.m.send([fileOf(randomBytes(1000), 'small.txt'), fileOf(big, 'big.bin')]);
    await waitFor(bob0, (e) => e.type === 'offered', 'offer');
    await bob0.m.accept(id);
    await Promise.all([store.flushes.entered, store.writeGate.entered]);
    // Chunk 4 of file 1 is queued in the receiver behind the held write of chunk 3.
    await until(() => chunksAt(lb).includes('1:4'));
    bob0.m.markSaved(id, 0);
    const reloaded = reload(bob0, 'alice');
    // The receiver's next write, after the close: refused (the manager is closed), so the
    // receiver fails in memory. Then the save that was running ends, and the person's save runs:
    // it must save the transfer as it stood at the click, not that failure.
    store.writeGate.open();
    await until(() => bob0.m.list()[0]!.status === 'failed');
    store.flushes.open();
    const bob = await reloaded;
    expect(bob.m.list()).toMatchObject([{ id, direction: 'in', status: 'active', saved: [0] }]);
    // And it goes on to the end over a new link.
    await connect(alice, bob);
    await waitFor(bob, (e) => e.type === 'complete', 'complete after the reload');
    expect(Buffer.from(bob.store.bytes(id, 1)!).equals(big)).toBe(true);
  });
});
