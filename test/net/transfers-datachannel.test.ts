/**
 * TransferManager over a real WebRTC data channel (node-datachannel on 127.0.0.1) with real
 * secure frames around the wire messages (test/support/ndc-link.ts). A relay-backed openLink
 * version belongs here once src/net lands in this branch.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import nodeDataChannel from 'node-datachannel';
import { DEFAULT_GLUE_CHUNK_SIZE, DEFAULT_HIGH_WATER } from '../../src/net/transfers';
import { testManager as manager } from '../support/transfer-manager';
import { ndcPair, type NdcLink } from '../support/ndc-link';

const MiB = 1 << 20;

const links: NdcLink[] = [];
afterAll(() => {
  for (const l of links) l.cut();
  nodeDataChannel.cleanup();
});

describe('TransferManager over a real data channel with secure frames', () => {
  it('8 MiB arrive byte-identical; chat sent mid-transfer arrives before the file completes; the data channel buffer stays bounded', async () => {
    const [la, lb] = await ndcPair();
    links.push(la, lb);
    const alice = await manager('bob'),
      bob = await manager('alice');
    alice.m.attach(la);
    bob.m.attach(lb);
    const chats: string[] = [];
    let completeSeenAtChat = -1;
    lb.onMessage((m) => {
      if (m.type === 'chat') {
        chats.push(m.id);
        completeSeenAtChat = bob.events.filter((e) => e.type === 'complete').length;
      }
    });
    const f = randomBytes(8 * MiB + 12345);
    const id = await alice.m.send([new File([f], 'movie.mkv')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    await bob.until((e) => e.type === 'progress' && e.progress.done >= 2 * MiB);
    await la.send({ type: 'chat', id: 'mid', text: 'how is it going?', sentAt: 1 });
    await bob.until((e) => e.type === 'complete');
    await alice.until((e) => e.type === 'complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
    expect(chats).toEqual(['mid']);
    expect(completeSeenAtChat).toBe(0);
    expect(alice.m.maxQueued).toBeLessThanOrEqual(DEFAULT_HIGH_WATER + DEFAULT_GLUE_CHUNK_SIZE + 64); // the mark + one chunk message
  });

  it('a cut connection resumes on a new one, byte-identical', async () => {
    const [la, lb] = await ndcPair();
    links.push(la, lb);
    const alice = await manager('bob'),
      bob = await manager('alice');
    alice.m.attach(la);
    bob.m.attach(lb);
    const f = randomBytes(6 * MiB + 1);
    const id = await alice.m.send([new File([f], 'x.bin')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    await bob.until((e) => e.type === 'progress' && e.progress.done >= 2 * MiB);
    la.cut();
    await new Promise((r) => setTimeout(r, 50));
    expect(bob.m.list()[0]!.status).toBe('active');
    const [la2, lb2] = await ndcPair();
    links.push(la2, lb2);
    alice.m.attach(la2);
    bob.m.attach(lb2);
    await bob.until((e) => e.type === 'complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
  });
});
