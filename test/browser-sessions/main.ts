/**
 * Browser page for e2e/contact-sessions.spec.ts: Bob's side of a contact session on the app's
 * real database (`ParleyStore` + `ContactSessions`, docs/session.md §3), driven through
 * `window.harness`; and a hand-made version 1 database for the migration check.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { parseState } from '../../src/core/ratchet';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';

export const CONTACT = 'b0'.repeat(32);
let store: ParleyStore | undefined;
let sessions: ContactSessions | undefined;

const req = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

const harness = {
  /** `hook`: at the nth receive transaction's `phase`, abort it or hold it open until the page dies. */
  async open(
    name: string,
    hook?: { phase: 'messages-written' | 'state-written'; nth: number; action: 'hang' | 'abort' },
  ) {
    store = await ParleyStore.open(name);
    let seen = 0;
    sessions = new ContactSessions(store.database, Date.now, {
      onCommitPhase: (phase, c) => {
        if (!hook || phase !== hook.phase || ++seen !== hook.nth) return;
        if (hook.action === 'abort') {
          c.abort();
          return;
        }
        return c.keepAlive();
      },
    });
  },
  /** Like receive, but a storage failure (an aborted transaction) is an outcome too. */
  async tryReceive(hex: string) {
    try {
      return await harness.receive(hex);
    } catch (e) {
      return { status: 'error', code: (e as Error).name };
    }
  },
  async install(stateJson: string) {
    const p = parseState(JSON.parse(stateJson));
    if (!p.ok) throw new Error(p.message);
    await sessions!.install(CONTACT, {
      id: 'ab'.repeat(32),
      role: 'responder',
      state: p.state,
      roomKey: new Uint8Array(32),
      peerKemPublicKey: new Uint8Array(1184),
    });
  },
  async receive(hex: string) {
    const r = await sessions!.receive(CONTACT, hexToBytes(hex));
    return r.status === 'ok'
      ? {
          status: r.status,
          kind: r.kind,
          delivered: r.delivered,
          receipts: r.receipts,
          ...(r.fileKey ? { fileKey: bytesToHex(r.fileKey) } : {}),
        }
      : { status: r.status, code: 'failure' in r ? r.failure.code : r.bound };
  },
  async sealFileKey(keyHex: string) {
    const w = await sessions!.sealControl(CONTACT, { type: 'file-key', key: hexToBytes(keyHex) });
    return w && bytesToHex(w);
  },
  async write(text: string) {
    return (await sessions!.write(CONTACT, text, Date.now())).id;
  },
  async seal(id: string) {
    const w = await sessions!.sealEntry(CONTACT, id);
    return w && bytesToHex(w);
  },
  async messages() {
    return (await store!.listMessages(CONTACT)).map((m) => ({
      id: m.id,
      text: m.text,
      direction: m.direction,
      delivered: m.delivered,
    }));
  },
  async row() {
    return JSON.parse(
      JSON.stringify((await sessions!.row(CONTACT)) ?? null, (_k, v: unknown) =>
        v instanceof Uint8Array ? bytesToHex(v) : v,
      ),
    ) as unknown;
  },
  close() {
    store?.close();
  },

  /** A version 1 database as the app of issue 3 left it: two unsent messages, one delivered, one received. */
  async makeV1(name: string) {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => {
        const d = r.result;
        d.createObjectStore('identity', { keyPath: 'id' });
        d.createObjectStore('contacts', { keyPath: 'key' });
        d.createObjectStore('invites', { keyPath: 'id' });
        d.createObjectStore('messages', { keyPath: ['contact', 'id'] }).createIndex('byContactTime', [
          'contact',
          'sentAt',
        ]);
        d.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true }).createIndex('byContact', 'contact');
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const tx = db.transaction(['messages', 'outbox'], 'readwrite');
    const m = tx.objectStore('messages'),
      o = tx.objectStore('outbox');
    const msg = (id: string, text: string, sentAt: number, direction: 'in' | 'out', delivered: boolean) =>
      req(m.put({ contact: CONTACT, id, direction, text, sentAt, delivered }));
    await msg('oldDelivered', 'delivered long ago', 1000, 'out', true);
    await msg('oldIn', 'a reply', 1500, 'in', true);
    await msg('oldUnsentA', 'unsent first', 2000, 'out', false);
    await msg('oldUnsentB', 'unsent second', 3000, 'out', false);
    await req(o.add({ contact: CONTACT, messageId: 'oldUnsentA' }));
    await req(o.add({ contact: CONTACT, messageId: 'oldUnsentB' }));
    await new Promise<void>((resolve) => {
      tx.oncomplete = () => resolve();
    });
    db.close();
  },
  async storeNames(name: string) {
    const db = await req(indexedDB.open(name));
    const names = [...db.objectStoreNames];
    db.close();
    return { names, version: db.version };
  },
};
(window as unknown as { harness: typeof harness }).harness = harness;
export type Harness = typeof harness;
