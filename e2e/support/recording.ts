/**
 * The recording relay process (test/support/recording-relay.ts) for a spec: started on a port,
 * writing to a temporary JSON-lines file; people, the relay and the file go after each test.
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
    /** Starts the relay on `port`; returns its URL and the recording's path. */
    async start(port: number, tag: string): Promise<{ url: string; out: string }> {
      const out = join(tmpdir(), `parley-e2e-${tag}-${process.pid}-${Date.now()}.jsonl`);
      files.push(out);
      relay = await startHarness('test/support/recording-relay.ts', [
        '--port',
        String(port),
        '--static',
        'dist',
        '--out',
        out,
      ]);
      return { url: relay.url, out };
    },
  };
}
