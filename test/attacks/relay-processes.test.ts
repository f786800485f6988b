/**
 * The recording and hostile relays as the separate processes a browser test starts (their CLI
 * entries), driven the way such a test drives them: flags, stdout lines, stdin commands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { rmSync } from 'node:fs';
import { createInvite, inviteLink } from '../../src/core/invite';
import { findLeaks } from '../support/leakscan';
import { readRecording } from '../support/recording-relay';
import type { HostileStats } from '../support/hostile-relay';
import { Meetings, random } from './meeting';

interface Proc { child: ChildProcessByStdio<Writable, Readable, null>; lines: string[]; waitFor(re: RegExp): Promise<string> }
const procs: Proc[] = [];
const files: string[] = [];
const meetings = new Meetings();
afterEach(async () => {
  await meetings.closeAll();
  for (const p of procs.splice(0)) {
    if (p.child.exitCode !== null) continue;
    const exited = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGTERM');
    await exited;
  }
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

function start(script: string, args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) if (w.re.test(l)) w.resolve(l); else waiters.push(w);
  });
  const p: Proc = {
    child, lines,
    waitFor: (re) => new Promise((resolve, reject) => {
      const seen = lines.find((l) => re.test(l));
      if (seen) return resolve(seen);
      waiters.push({ re, resolve });
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before printing ${re}`)));
    }),
  };
  procs.push(p);
  return p;
}
const listening = async (p: Proc) => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(await p.waitFor(/listening on http/))![1]!;

describe('relay processes for browser tests', () => {
  it('recording relay: --port 0 --out FILE records every forwarded frame as a JSON line', async () => {
    const out = join(tmpdir(), `parley-rec-${process.pid}-${Date.now()}.jsonl`);
    files.push(out);
    const url = await listening(start('test/support/recording-relay.ts', ['--port', '0', '--out', out, '--static', 'test/support/no-static-dir']));
    expect((await fetch(`${url}/healthz`)).ok).toBe(true);
    const signalUrl = `${url.replace(/^http/, 'ws')}/signal`;
    const alice = meetings.person('Alice', signalUrl), bob = meetings.person('Bob', signalUrl);
    const { server, client } = await meetings.meet({ server: alice, client: bob, secret: random(32) });
    expect(server.ok && client.ok).toBe(true);
    const frames = readRecording(out);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const f of frames) expect(JSON.parse(f.raw)).toEqual({ type: 'message', room: f.room, data: f.data });
    expect(findLeaks([{ label: 'Alice key', value: alice.identity.publicKey }, { label: 'Bob key', value: bob.identity.publicKey }], frames.map((f) => f.raw))).toEqual([]);
  });

  it('hostile relay: `target LINK` on stdin starts the attack; the handshake fails; `stats` reports the bridge', async () => {
    const p = start('test/support/hostile-relay.ts', ['--port', '0', '--mode', 'mitm', '--static', 'test/support/no-static-dir']);
    const url = await listening(p);
    const signalUrl = `${url.replace(/^http/, 'ws')}/signal`;
    const alice = meetings.person('Alice', signalUrl), bob = meetings.person('Bob', signalUrl);
    const invite = createInvite({ inviterKey: alice.identity.publicKey, now: Date.now(), random });
    p.child.stdin.write(`target ${inviteLink(url, invite)}\n`);
    await p.waitFor(/^event .*"targeting"/);
    const { server, client } = await meetings.meet({ server: alice, client: bob, secret: invite.rendezvousSecret });
    expect([!server.ok && server.code, !client.ok && client.code]).toEqual(['LINK_HANDSHAKE_FAILED', 'LINK_HANDSHAKE_FAILED']);
    p.child.stdin.write('stats\n');
    const stats = JSON.parse((await p.waitFor(/^stats /)).slice('stats '.length)) as HostileStats;
    expect(stats.intercepted).toBeGreaterThanOrEqual(1);
    expect(stats.bridgesOpened).toBeGreaterThanOrEqual(1);
    expect(p.lines.some((l) => l.startsWith('event ') && l.includes('"bridged"'))).toBe(true);
    p.child.stdin.write('nonsense\n');
    expect(await p.waitFor(/^error /)).toMatch(/unknown command/);
  });
});
