/**
 * Where a page's threads spend their CPU, from the Chrome traces `BENCH_TRACE` writes
 * (`browser-trace.ts`): per thread of the busiest renderer, the thread time (`tdur`) of every
 * traced event minus its children's, summed by kind — WebCrypto (digest, AES-GCM), GC, rendering,
 * script, postMessage, IPC — so that runs of Parley, the raw channel and the floors compare on the
 * same instrumentation (docs/files.md §16). A sampling profile cannot do this on a saturated
 * machine: it counts the time a thread waits for a core as time in whatever it runs next.
 *
 * `npx tsx bench/support/trace-cpu.ts /tmp/tr "" -floor -raw` reads /tmp/tr-sender.json,
 * /tmp/tr-receiver.json, /tmp/tr-floor-sender.json, … and prints one column per file.
 */
import { readFileSync } from 'node:fs';

interface TraceEvent {
  ph?: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; src_func?: string };
}

const THREADS = ['CrRendererMain', 'ThreadPool', 'DedicatedWorker', 'Compositor', 'WebRTC', 'Chrome_ChildIO'];
const RENDER =
  /^(Paint|PrePaint|Commit|Layerize|UpdateLayoutTree|ScheduledActionSendBeginMainFrame|HitTest|UpdateLayer)$|Layout|Paint|Style|Shape|^Blink\./;
const SCRIPT =
  /^(RunMicrotasks|FunctionCall|TimerFire|EventDispatch|AsyncTask Run|v8\.callFunction|v8\.run|V8\.Execute|EvaluateScript|v8\.compile|BlinkScheduler_PerformMicrotaskCheckpoint|FireAnimationFrame|V8\.HandleInterrupts)$/;

/** The kind an event's own time is counted under. */
export function kindOf(e: TraceEvent): string {
  const n = e.name;
  if (n === 'DoDigest' || n === 'DoDigestReply') return 'digest';
  if (/^Do(En|De)crypt/.test(n)) return 'aes-gcm';
  if (/GC/.test(n) || /Sweeper/.test(e.args?.src_func ?? '')) return 'gc';
  if (RENDER.test(n)) return 'render';
  if (SCRIPT.test(n)) return 'script';
  if (/mojo/i.test(n) || n === 'SimpleWatcher::OnHandleReady' || n === 'EpollEvent') return 'ipc';
  if (/SerializedScriptValue/.test(n) || n === 'HandlePostMessage') return 'postMessage';
  return 'task and other';
}

/** Self thread time (ms) by thread kind and event kind, in the renderer whose main thread ran longest. */
export function summarize(events: TraceEvent[]): Map<string, Map<string, number>> {
  const names = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}/${e.tid}`, e.args!.name!);
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events)
    if (e.ph === 'X' && e.tdur !== undefined && e.dur !== undefined) {
      const k = `${e.pid}/${e.tid}`;
      const list = byThread.get(k);
      if (list) list.push(e);
      else byThread.set(k, [e]);
    }
  const mainTime = new Map<number, number>();
  for (const [k, xs] of byThread)
    if (names.get(k) === 'CrRendererMain') {
      const pid = Number(k.split('/')[0]);
      mainTime.set(
        pid,
        (mainTime.get(pid) ?? 0) + xs.reduce((s, x) => s + (x.name.endsWith('RunTask') ? x.tdur! : 0), 0),
      );
    }
  const pid = [...mainTime].sort((a, b) => b[1] - a[1])[0]?.[0];
  const out = new Map<string, Map<string, number>>();
  for (const [k, xs] of byThread) {
    const thread = THREADS.find((t) => (names.get(k) ?? '').startsWith(t));
    if (Number(k.split('/')[0]) !== pid || !thread) continue;
    xs.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const child = new Map<TraceEvent, number>();
    const stack: TraceEvent[] = [];
    for (const x of xs) {
      while (stack.length && stack.at(-1)!.ts + stack.at(-1)!.dur! <= x.ts) stack.pop();
      const parent = stack.at(-1);
      if (parent) child.set(parent, (child.get(parent) ?? 0) + x.tdur!);
      stack.push(x);
    }
    const kinds = out.get(thread) ?? new Map<string, number>();
    for (const x of xs) kinds.set(kindOf(x), (kinds.get(kindOf(x)) ?? 0) + (x.tdur! - (child.get(x) ?? 0)) / 1000);
    out.set(thread, kinds);
  }
  return out;
}

function main(): void {
  const [prefix, ...runs] = process.argv.slice(2);
  if (!prefix) throw new Error('usage: trace-cpu.ts <prefix> [run suffix…], e.g. /tmp/tr "" -floor -raw');
  const cols: [string, Map<string, Map<string, number>>][] = [];
  for (const run of runs.length ? runs : [''])
    for (const side of ['sender', 'receiver']) {
      const raw = JSON.parse(readFileSync(`${prefix}${run}-${side}.json`, 'utf8')) as
        TraceEvent[] | { traceEvents: TraceEvent[] };
      cols.push([
        `${run.replace(/^-/, '') || 'parley'} ${side}`,
        summarize(Array.isArray(raw) ? raw : raw.traceEvents),
      ]);
    }
  const pad = (s: string) => s.padStart(18);
  for (const thread of THREADS) {
    const kinds = new Set(cols.flatMap(([, c]) => [...(c.get(thread)?.keys() ?? [])]));
    if (!kinds.size) continue;
    console.log(`${thread} (ms of thread time)`);
    console.log(`  ${''.padEnd(16)}${cols.map(([n]) => pad(n)).join('')}`);
    for (const k of [...kinds, 'total'])
      console.log(
        `  ${k.padEnd(16)}${cols
          .map(([, c]) => {
            const m = c.get(thread);
            const v = k === 'total' ? [...(m?.values() ?? [])].reduce((a, b) => a + b, 0) : (m?.get(k) ?? 0);
            return pad(v.toFixed(1));
          })
          .join('')}`,
      );
  }
}

main();
