/**
 * The recording relay process (test/support/recording-relay.ts) for a spec: started on a port,
 * writing what it forwarded and which socket joined which room to temporary JSON-lines files;
 * people, the relay and the files go after each test.
 */
import { test } from '@playwright/test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startHarness, type HarnessProcess } from '../../test/support/harness-process';
import type { Person } from './app';

export function recordingRelayFixture() {
  let relay: HarnessProcess | undefined;
  const people: Person[] = [];
  const files: string[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
    await relay?.stop();
    relay = undefined;
    for (const f of files.splice(0)) rmSync(f, { force: true });
  });
  return {
    people,
    /**
     * Starts the relay on `port`; returns its URL, the paths of the recording (`out`) and of the
     * subscriptions (`subs`) and of the mailbox requests (`mailbox`), `drop()`, which cuts every connection to it at once,
     * and `sockets()`: its WebSocket connections open now and the most ever open at once.
     */
    async start(
      port: number,
      tag: string,
    ): Promise<{
      url: string;
      out: string;
      subs: string;
      mailbox: string;
      drop(): Promise<number>;
      sockets(): Promise<{ open: number; peak: number }>;
    }> {
      const base = join(tmpdir(), `parley-e2e-${tag}-${process.pid}-${Date.now()}`);
      const [out, subs, mailbox] = [`${base}.jsonl`, `${base}.subs.jsonl`, `${base}.mailbox.jsonl`];
      files.push(out, subs, mailbox);
      const r = (relay = await startHarness('test/support/recording-relay.ts', [
        '--port',
        String(port),
        '--static',
        'dist',
        '--out',
        out,
        '--subs',
        subs,
        '--mailbox-out',
        mailbox,
      ]));
      const drop = async (): Promise<number> => {
        const from = r.lines.length;
        r.say('drop');
        return Number((await r.waitFor(/^dropped \d+$/, { from })).split(' ')[1]);
      };
      const sockets = async (): Promise<{ open: number; peak: number }> => {
        const from = r.lines.length;
        r.say('sockets');
        return JSON.parse((await r.waitFor(/^sockets \{/, { from })).slice('sockets '.length)) as {
          open: number;
          peak: number;
        };
      };
      return { url: r.url, out, subs, mailbox, drop, sockets };
    },
  };
}
