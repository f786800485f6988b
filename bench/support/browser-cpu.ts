/**
 * Where a Chromium benchmark's CPU goes (docs/files.md §8, "Throughput"): the CPU time of every
 * Chromium process this script started, from /proc (optionally per process and thread name), and
 * CDP CPU profiles of pages reduced to their top self-time functions.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { root } from './browser-bench';
import { loadSourceMaps, profileBySource, topLines } from './profile-sources';

/** Starts a CPU profile (CDP Profiler) of each page; the returned function stops them and prints the top self-time functions and source files (BENCH_PROFILE). */
export async function startProfiles(pages: [string, Page][]): Promise<() => Promise<void>> {
  const sessions = await Promise.all(
    pages.map(async ([, p]) => {
      const s = await p.context().newCDPSession(p);
      await s.send('Profiler.enable');
      await s.send('Profiler.setSamplingInterval', { interval: 500 });
      await s.send('Profiler.start');
      return s;
    }),
  );
  const maps = loadSourceMaps(join(root, 'dist/assets'));
  return async () => {
    for (const [i, s] of sessions.entries()) {
      const { profile } = await s.send('Profiler.stop');
      // BENCH_PROFILE_DIR: the whole profile too, for DevTools or a script (stacks, inclusive time).
      if (process.env.BENCH_PROFILE_DIR) {
        mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
        writeFileSync(join(process.env.BENCH_PROFILE_DIR, `${pages[i]![0]}.cpuprofile`), JSON.stringify(profile));
      }
      // Named by the app's sources where dist/assets has the build's source maps (docs/files.md §18).
      const p = profileBySource(profile, maps);
      const top = Number(process.env.BENCH_PROFILE_TOP ?? 18);
      console.log(`profile ${pages[i]![0]} (${(p.total / 1000).toFixed(0)} ms sampled, not idle), by function:`);
      for (const line of topLines(p.byFrame, p.total, top)) console.log(line);
      console.log(`profile ${pages[i]![0]}, by source file:`);
      for (const line of topLines(p.byFile, p.total, top)) console.log(line);
    }
  };
}

/**
 * The Chromium processes this script started (descendants of this process, Linux /proc), with the
 * CPU ticks (user + system, USER_HZ) each has used so far.
 */
function ourChromium(): Map<number, number> {
  const parent = new Map<number, number>(),
    ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      if (st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).includes('chrom'))
        ticks.set(Number(d), Number(f[11]) + Number(f[12]));
    } catch {
      /* gone */
    }
  }
  for (const pid of ticks.keys()) {
    let p: number | undefined = pid;
    while (p && p !== process.pid && p > 1) p = parent.get(p);
    if (p !== process.pid) ticks.delete(pid);
  }
  return ticks;
}

/** A Chromium process's `--type` (renderer, utility, gpu-process…; the browser has none). */
function processType(pid: number): string {
  try {
    return /--type=([a-z-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
  } catch {
    return 'browser'; // gone
  }
}

/** Each thread of process `pid`: its id, its name without trailing digits, and its CPU ticks so far. */
function threadTicks(pid: number): { tid: string; name: string; ticks: number }[] {
  const out: { tid: string; name: string; ticks: number }[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).replace(/[0-9]+$/, '');
      out.push({ tid, name, ticks: Number(f[11]) + Number(f[12]) });
    }
  } catch {
    /* gone */
  }
  return out;
}

/** CPU seconds (user + system) used so far by the Chromium processes this script started (Linux /proc). */
export function browserCpu(): number {
  const ticks = ourChromium();
  let sum = 0;
  for (const [pid, t] of ticks) {
    sum += t;
    if (process.env.BENCH_CPU_DETAIL) {
      const type = processType(pid);
      const k = `${type} ${pid}`;
      if (t - (lastTicks.get(k) ?? 0) > 5) {
        // Per thread name (CrRendererMain, DedicatedWorker, ThreadPool…, WebRTC…): where a process spends it.
        const threads = new Map<string, number>();
        for (const { tid, name, ticks: v } of threadTicks(pid)) {
          const tk = `${k}/${tid}`;
          threads.set(name, (threads.get(name) ?? 0) + v - (lastTicks.get(tk) ?? 0));
          lastTicks.set(tk, v);
        }
        const top = [...threads]
          .filter(([, v]) => v > 3)
          .sort((a, b) => b[1] - a[1])
          .map(([n, v]) => `${n} ${(v / 100).toFixed(2)}`)
          .join(', ');
        console.log(`  cpu ${k}: ${((t - (lastTicks.get(k) ?? 0)) / 100).toFixed(2)} s (${top})`);
      }
      lastTicks.set(k, t);
    }
  }
  return sum / 100; // USER_HZ
}
const lastTicks = new Map<string, number>();

/**
 * CPU seconds used so far by each thread kind of the Chromium processes this script started,
 * keyed "process type: thread name" (digits dropped, summed over processes of that type): the
 * same /proc figures as {@link browserCpu}, for per-thread means over many runs (docs/files.md §16).
 */
export function cpuByThread(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of ourChromium().keys()) {
    const type = processType(pid);
    for (const { name, ticks } of threadTicks(pid))
      out.set(`${type}: ${name}`, (out.get(`${type}: ${name}`) ?? 0) + ticks / 100);
  }
  return out;
}

/**
 * Per-thread CPU of runs of several kinds: `meter(kind)` gives a `cpu()` for one run (called once at
 * its start and once at its end, as the benches do) that also records that run's CPU per thread
 * kind; `table()` prints the mean per run of each kind, threads using ≥ 0.02 s in some kind.
 */
export function threadMeter(): { meter: (kind: string) => () => number; table: () => string } {
  const runs = new Map<string, Map<string, number>[]>();
  return {
    meter(kind) {
      let before: Map<string, number> | null = null;
      return () => {
        const now = cpuByThread();
        if (before) {
          const d = new Map<string, number>();
          for (const [k, v] of now) d.set(k, v - (before.get(k) ?? 0));
          runs.set(kind, [...(runs.get(kind) ?? []), d]);
          before = null;
        } else before = now;
        return browserCpu();
      };
    },
    table() {
      const kinds = [...runs.keys()];
      const mean = (kind: string, k: string) =>
        runs.get(kind)!.reduce((s, d) => s + (d.get(k) ?? 0), 0) / runs.get(kind)!.length;
      const threads = [...new Set([...runs.values()].flatMap((ds) => ds.flatMap((d) => [...d.keys()])))]
        .filter((k) => kinds.some((kind) => mean(kind, k) >= 0.02))
        .sort((a, b) => mean(kinds[0]!, b) - mean(kinds[0]!, a));
      const rows = threads.map(
        (k) => `  ${k.padEnd(34)}${kinds.map((kind) => mean(kind, k).toFixed(2).padStart(14)).join('')}`,
      );
      const total = kinds
        .map((kind) =>
          threads
            .reduce((s, k) => s + mean(kind, k), 0)
            .toFixed(2)
            .padStart(14),
        )
        .join('');
      return [
        `  ${'CPU-s per run, mean'.padEnd(34)}${kinds.map((k) => k.padStart(14)).join('')}`,
        ...rows,
        `  ${'all of these'.padEnd(34)}${total}`,
      ].join('\n');
    },
  };
}
