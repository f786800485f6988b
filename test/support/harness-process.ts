/**
 * Runs an attack harness (test/support/recording-relay.ts, test/support/hostile-relay.ts) as its
 * own process, the way the browser tests need it: the app is loaded from the harness, which is
 * driven by flags, stdin commands and stdout lines. Shared by the Playwright specs (e2e/) and
 * test/attacks/relay-processes.test.ts, so both drive the harnesses the same way.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface HarnessProcess {
  /** http://127.0.0.1:PORT, from the harness's `… listening on URL` line. */
  url: string;
  /** ws://127.0.0.1:PORT/signal */
  signalUrl: string;
  child: ChildProcessByStdio<Writable, Readable, null>;
  /** Every stdout line so far. */
  lines: string[];
  /** Writes one command line to the harness's stdin (`target LINK`, `stats`). */
  say(line: string): void;
  /** The first stdout line at index `from` or later matching `re`; fails if the process exits or `timeoutMs` passes. */
  waitFor(re: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Asks the hostile relay for its counters (`stats` → `stats {…}`) and returns the fresh answer. */
  stats<T = unknown>(): Promise<T>;
  /** Ends exactly this process (SIGTERM) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts `node --import tsx SCRIPT ARGS…` and resolves once it prints that it listens. */
export async function startHarness(
  script: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<HarnessProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) w();
  });
  child.once('exit', () => {
    for (const w of [...waiters]) w();
  });

  const waitFor: HarnessProcess['waitFor'] = (re, { from = 0, timeoutMs = 30_000 } = {}) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = lines.slice(from).find((l) => re.test(l));
        if (hit !== undefined) done(() => resolve(hit));
        else if (child.exitCode !== null || child.signalCode !== null)
          done(() =>
            reject(new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before printing ${re}`)),
          );
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${script} did not print ${re} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  const say = (line: string) => {
    child.stdin.write(`${line}\n`);
  };

  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(
    await waitFor(/ listening on http/, { timeoutMs: opts.timeoutMs ?? 30_000 }),
  )![1]!;
  return {
    url,
    signalUrl: `${url.replace(/^http/, 'ws')}/signal`,
    child,
    lines,
    say,
    waitFor,
    async stats<T>() {
      const from = lines.length;
      say('stats');
      return JSON.parse((await waitFor(/^stats /, { from })).slice('stats '.length)) as T;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
