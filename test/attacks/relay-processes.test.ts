/**
 * The recording and hostile relays as the separate processes a browser test starts (their CLI
 * entries), driven the way such a test drives them: flags, stdout lines, stdin commands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rmSync } from 'node:fs';
import { createInvite, inviteLink } from '../../src/core/invite';
import { findLeaks } from '../support/leakscan';
import { WebSocket } from 'ws';
import { readRecording, readSubscriptions } from '../support/recording-relay';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import type { HostileStats } from '../support/hostile-relay';
import { startHarness, type HarnessProcess } from '../support/harness-process';
import { Meetings, random } from './meeting';

const procs: HarnessProcess[] = [];
const files: string[] = [];
const meetings = new Meetings();
afterEach(async () => {
  await meetings.closeAll();
  for (const p of procs.splice(0)) await p.stop();
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

async function start(script: string, args: string[]): Promise<HarnessProcess> {
  const p = await startHarness(script, args);
  procs.push(p);
  return p;
}

describe('relay processes for browser tests', () => {
  it('recording relay: --port 0 --out FILE records every forwarded frame as a JSON line', async () => {
    const out = join(tmpdir(), `parley-rec-${process.pid}-${Date.now()}.jsonl`);
    files.push(out);
    const { url, signalUrl } = await start('test/support/recording-relay.ts', [
      '--port',
      '0',
      '--out',
      out,
      '--static',
      'test/support/no-static-dir',
    ]);
    expect((await fetch(`${url}/healthz`)).ok).toBe(true);
    const alice = meetings.person('Alice', signalUrl),
      bob = meetings.person('Bob', signalUrl);
    const { server, client } = await meetings.meet({ server: alice, client: bob, secret: random(32) });
    expect(server.ok && client.ok).toBe(true);
    const frames = readRecording(out);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const f of frames) expect(JSON.parse(f.raw)).toEqual({ type: 'message', room: f.room, data: f.data });
    expect(
      findLeaks(
        [
          { label: 'Alice key', value: alice.identity.publicKey },
          { label: 'Bob key', value: bob.identity.publicKey },
        ],
        frames.map((f) => f.raw),
      ),
    ).toEqual([]);
  });

  it('recording relay: --subs FILE records which socket joined which room; `drop` on stdin cuts every connection', async () => {
    const subs = join(tmpdir(), `parley-subs-${process.pid}-${Date.now()}.jsonl`);
    files.push(subs);
    const p = await start('test/support/recording-relay.ts', ['--port', '0', '--subs', subs]);
    const c = new SignalingClient(p.signalUrl, { WebSocket: WebSocket as unknown as WebSocketConstructor });
    try {
      const room = 'r'.repeat(43);
      c.subscribe(room);
      await expect.poll(() => readSubscriptions(subs).length).toBe(1);
      const from = p.lines.length;
      p.say('drop');
      expect(await p.waitFor(/^dropped \d+$/, { from })).toBe('dropped 1');
      // The client reconnects and joins again: a new connection, so a new socket id.
      await expect.poll(() => readSubscriptions(subs).length).toBe(2);
      const [first, again] = readSubscriptions(subs);
      expect([first!.room, again!.room]).toEqual([room, room]);
      expect(first!.socket).not.toBe(again!.socket);
      expect(again!.at).toBeGreaterThanOrEqual(first!.at);
    } finally {
      c.close();
    }
  });

  it('hostile relay: `target LINK` on stdin starts the attack; the handshake fails; `stats` reports the bridge', async () => {
    const p = await start('test/support/hostile-relay.ts', [
      '--port',
      '0',
      '--mode',
      'mitm',
      '--static',
      'test/support/no-static-dir',
    ]);
    const { url, signalUrl } = p;
    const alice = meetings.person('Alice', signalUrl),
      bob = meetings.person('Bob', signalUrl);
    const invite = createInvite({ inviterKey: alice.identity.publicKey, now: Date.now(), random });
    p.say(`target ${inviteLink(url, invite)}`);
    await p.waitFor(/^event .*"targeting"/);
    const { server, client } = await meetings.meet({ server: alice, client: bob, secret: invite.rendezvousSecret });
    expect([!server.ok && server.code, !client.ok && client.code]).toEqual([
      'LINK_HANDSHAKE_FAILED',
      'LINK_HANDSHAKE_FAILED',
    ]);
    const stats = await p.stats<HostileStats>();
    expect(stats.intercepted).toBeGreaterThanOrEqual(1);
    expect(stats.bridgesOpened).toBeGreaterThanOrEqual(1);
    expect(p.lines.some((l) => l.startsWith('event ') && l.includes('"bridged"'))).toBe(true);
    p.say('nonsense');
    expect(await p.waitFor(/^error /)).toMatch(/unknown command/);
  });
});
