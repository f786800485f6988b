/**
 * The tabs' channel (src/app/tab-rpc.ts, docs/tabs.md §3–4) over Node's own BroadcastChannel:
 * notices reach the other tabs only, only the serving (owner) tab answers, answers reach only the
 * asking tab, and every way a request can fail is a typed TabRpcError; stray or malformed
 * messages on the channel are ignored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TAB_RPC_MAX_PENDING, TabRpc, TabRpcError, readEnvelope, type ChannelLike } from '../../src/app/tab-rpc';

const open: TabRpc[] = [];
let n = 0;
/** A fresh channel name per test, so tests do not hear each other. */
let name = '';
function tab(notices: [string, unknown][] = [], timeoutMs = 2_000): TabRpc {
  const rpc = new TabRpc(
    new BroadcastChannel(name) as unknown as ChannelLike,
    (k, b) => notices.push([k, b]),
    timeoutMs,
  );
  open.push(rpc);
  return rpc;
}
const settle = () => new Promise((r) => setTimeout(r, 30));

describe('TabRpc', () => {
  afterEach(() => {
    for (const t of open.splice(0)) t.close();
    name = '';
  });
  const fresh = () => (name = `parley-tabs-test-${process.pid}-${++n}`);

  it('a notice reaches every other tab, not the sender', async () => {
    fresh();
    const [a, b, c]: [string, unknown][][] = [[], [], []];
    const ta = tab(a);
    tab(b);
    tab(c);
    ta.notify('messages', { key: 'k1', id: 'm1' });
    await settle();
    expect(a).toEqual([]);
    expect(b).toEqual([['messages', { key: 'k1', id: 'm1' }]]);
    expect(c).toEqual([['messages', { key: 'k1', id: 'm1' }]]);
  });

  it('only the serving tab answers, and each answer reaches only the tab that asked', async () => {
    fresh();
    const owner = tab();
    const x = tab();
    const y = tab();
    let served = 0;
    owner.serve((op, args) => {
      served++;
      return { op, args };
    });
    const [rx, ry] = await Promise.all([x.call('reset', { key: 'x' }), y.call('reset', { key: 'y' })]);
    expect(rx).toEqual({ op: 'reset', args: { key: 'x' } });
    expect(ry).toEqual({ op: 'reset', args: { key: 'y' } });
    expect(served).toBe(2); // the non-serving tabs answered nothing (each call was served once)
  });

  it('a failing handler comes back as TAB_RPC_FAILED with its reason', async () => {
    fresh();
    const owner = tab();
    owner.serve(() => {
      throw new Error('no such transfer');
    });
    const err = await tab()
      .call('cancel', { id: 't' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TabRpcError);
    expect((err as TabRpcError).code).toBe('TAB_RPC_FAILED');
    expect((err as TabRpcError).message).toContain('no such transfer');
  });

  it('with no owner a request fails with TAB_RPC_TIMEOUT', async () => {
    fresh();
    tab(); // another tab, not serving
    const err = await tab([], 50)
      .call('reset', {})
      .catch((e: unknown) => e);
    expect((err as TabRpcError).code).toBe('TAB_RPC_TIMEOUT');
  });

  it(`refuses a request beyond ${TAB_RPC_MAX_PENDING} waiting ones with TAB_RPC_BUSY; closing fails the waiting ones`, async () => {
    fresh();
    const asker = tab();
    const waiting = Array.from({ length: TAB_RPC_MAX_PENDING }, (_, i) =>
      asker.call('x', i).catch((e: unknown) => (e as TabRpcError).code),
    );
    const over = await asker.call('x', 'one too many').catch((e: unknown) => (e as TabRpcError).code);
    expect(over).toBe('TAB_RPC_BUSY');
    asker.close();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['TAB_RPC_CLOSED']));
    expect(await asker.call('x').catch((e: unknown) => (e as TabRpcError).code)).toBe('TAB_RPC_CLOSED');
  });

  it('a Blob crosses the channel to the owner (how another tab offers a file)', async () => {
    fresh();
    const owner = tab();
    owner.serve(async (_op, args) => new Uint8Array(await (args as { file: Blob }).file.arrayBuffer()).length);
    expect(await tab().call('send', { file: new Blob([new Uint8Array(1000)]) })).toBe(1000);
  });

  it('ignores what is not an envelope: other shapes, long names, bad ids', async () => {
    fresh();
    const seen: [string, unknown][] = [];
    tab(seen);
    const raw = new BroadcastChannel(name);
    for (const m of [
      null,
      'text',
      { k: 'notice', from: 'a', name: 'x'.repeat(65) },
      { k: 'notice', from: '', name: 'messages' },
      { k: 'req', from: 'a', id: 0, op: 'x' },
      { k: 'req', from: 'a', id: 1.5, op: 'x' },
      { k: 'res', to: 'a', id: 1, ok: false },
    ])
      raw.postMessage(m);
    raw.postMessage({ k: 'notice', from: 'a', name: 'contacts', body: null });
    await settle();
    raw.close();
    expect(seen).toEqual([['contacts', null]]);
    expect(readEnvelope({ k: 'res', to: 'a', id: 3, ok: true, value: 1 })).not.toBeNull();
  });

  it('names its argument when the timeout is not positive', () => {
    fresh();
    const ch = new BroadcastChannel(name);
    expect(() => new TabRpc(ch as unknown as ChannelLike, () => undefined, 0)).toThrow(/timeoutMs/);
    ch.close();
  });
});
