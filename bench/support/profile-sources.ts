/**
 * A CDP CPU profile's self time by the app's own source (docs/files.md §18): each sampled frame of
 * the minified build is mapped back through dist/assets' source maps to `src/…/file.ts:line`, so
 * `BENCH_PROFILE=1` names Parley's functions and sums them per source file. Frames without a map
 * (natives such as `digest` or `send`, the browser's `(program)` and `(garbage collector)`) keep
 * their own name. Idle samples are left out of every total.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';

/** What a CDP `Profiler.stop` returns, as far as this module reads it. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time (µs) of a profile by frame and by source file, and the sampled non-idle total. */
export interface SourceProfile {
  total: number;
  byFrame: Map<string, number>;
  byFile: Map<string, number>;
}

/** The source maps of a build's assets (`name.js` → its map), read once. */
export function loadSourceMaps(assets: string): Map<string, TraceMap> {
  const maps = new Map<string, TraceMap>();
  if (!existsSync(assets)) return maps;
  for (const f of readdirSync(assets))
    if (f.endsWith('.js.map'))
      maps.set(f.slice(0, -'.map'.length), new TraceMap(readFileSync(join(assets, f), 'utf8')));
  return maps;
}

/** `src/net/peer.ts` from a map's `../../src/net/peer.ts`; other paths from their last `node_modules/`. */
function shortPath(source: string): string {
  const i = source.lastIndexOf('node_modules/');
  if (i >= 0) return source.slice(i);
  return source.replace(/^(\.\.\/)+/, '');
}

/** Sums `profile`'s samples by original frame and file through `maps` (see the module comment). */
export function profileBySource(profile: CpuProfile, maps: Map<string, TraceMap>): SourceProfile {
  const frames = new Map<number, { key: string; file: string }>();
  for (const n of profile.nodes) {
    const f = n.callFrame,
      asset = f.url.split('/').pop() ?? '',
      map = maps.get(asset);
    const at =
      map && f.lineNumber >= 0 ? originalPositionFor(map, { line: f.lineNumber + 1, column: f.columnNumber }) : null;
    const name = f.functionName || '(anon)';
    frames.set(
      n.id,
      at?.source
        ? { key: `${name} ${shortPath(at.source)}:${at.line}`, file: shortPath(at.source) }
        : { key: asset ? `${name} ${asset}:${f.lineNumber + 1}` : name, file: asset ? asset : name },
    );
  }
  const out: SourceProfile = { total: 0, byFrame: new Map(), byFile: new Map() };
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, k) => {
    const fr = frames.get(id);
    if (!fr || fr.key === '(idle)') return;
    const dt = deltas[k] ?? 0;
    out.total += dt;
    out.byFrame.set(fr.key, (out.byFrame.get(fr.key) ?? 0) + dt);
    out.byFile.set(fr.file, (out.byFile.get(fr.file) ?? 0) + dt);
  });
  return out;
}

/** The `top` largest entries of `m` as lines: share of `total`, ms, key. */
export function topLines(m: Map<string, number>, total: number, top: number): string[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(1).padStart(7)} ms  ${k}`,
    );
}
