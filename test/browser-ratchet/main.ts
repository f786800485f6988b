/**
 * Browser page for e2e/ratchet-crash.spec.ts: Bob's side of a ratchet session on the real
 * IndexedDB `SessionStore`. The spec drives it through `window.harness` (one call per message, so
 * it can close the page between or during calls) and sets a commit hook that either aborts the
 * receive transaction or holds it open (`window.hookHit` is then set) until the page is closed.
 */
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { parseState } from '../../src/core/ratchet';
import { SessionStore, type CommitPhase } from '../../src/store/sessions';

const CONTACT = 'a1'.repeat(32);
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
export interface HookSpec {
  phase: CommitPhase;
  nth: number;
  action: 'hang' | 'abort';
}
let store: SessionStore | undefined;
const box = window as unknown as { hookHit?: boolean; harness: unknown };

const harness = {
  async open(dbName: string, o: { nonAtomic?: boolean; hook?: HookSpec } = {}) {
    let seen = 0;
    store = await SessionStore.open(dbName, {
      nonAtomicForTests: o.nonAtomic,
      onCommitPhase: (phase, c) => {
        if (!o.hook || phase !== o.hook.phase || ++seen !== o.hook.nth) return;
        box.hookHit = true;
        if (o.hook.action === 'abort') {
          c.abort();
          return;
        }
        return c.keepAlive(); // the transaction stays open, uncommitted, until the page dies
      },
    });
  },
  async init(stateJson: string) {
    const p = parseState(JSON.parse(stateJson));
    if (!p.ok) throw new Error(p.message);
    return store!.init(CONTACT, p.state, random);
  },
  async receive(hex: string) {
    try {
      const r = await store!.receive(CONTACT, hexToBytes(hex));
      if (r.status === 'stored' || r.status === 'duplicate') return { status: r.status, id: r.id };
      return { status: r.status, code: r.failure.code };
    } catch (e) {
      return { status: 'error', code: (e as Error).name };
    }
  },
  async send(text: string) {
    const r = await store!.send(CONTACT, utf8ToBytes(text));
    return { id: r.id, wire: bytesToHex(r.wire) };
  },
  async acknowledge(id: string) {
    return store!.acknowledge(CONTACT, id);
  },
  async pending() {
    return (await store!.pending(CONTACT)).map((e) => e.payload.wire);
  },
  async messages() {
    return (await store!.messages(CONTACT)).map((m) => ({ id: m.id, text: new TextDecoder().decode(m.plaintext) }));
  },
};
box.harness = harness;
export type Harness = typeof harness;
