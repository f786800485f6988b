import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSourceMaps, profileBySource, type CpuProfile } from '../../bench/support/profile-sources';

// A build of two source files on one line: columns 0–9 come from src/net/a.ts line 3, 10– from b.ts line 7.
const MAP = {
  version: 3,
  sources: ['../../src/net/a.ts', '../../node_modules/lib/b.js'],
  names: [],
  mappings: 'AAEA,UCIA',
};

const frame = (id: number, functionName: string, url: string, lineNumber: number, columnNumber: number) => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber },
});

describe('profileBySource (bench profiles named by the app’s sources)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maps-'));
  writeFileSync(join(dir, 'index-x.js.map'), JSON.stringify(MAP));
  const maps = loadSourceMaps(dir);
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(idle)', '', -1, -1),
      frame(2, 'Qa', 'http://127.0.0.1/assets/index-x.js', 0, 4),
      frame(3, '', 'http://127.0.0.1/assets/index-x.js', 0, 12),
      frame(4, 'digest', '', -1, -1),
    ],
    samples: [1, 2, 2, 3, 4, 1],
    timeDeltas: [500, 100, 200, 300, 400, 500],
  };

  it('maps minified frames to their source file and line, keeps natives, and leaves idle out', () => {
    const p = profileBySource(profile, maps);
    expect(p.total).toBe(1000);
    expect(p.byFrame.get('Qa src/net/a.ts:3')).toBe(300);
    expect(p.byFrame.get('(anon) node_modules/lib/b.js:7')).toBe(300);
    expect(p.byFrame.get('digest')).toBe(400);
    expect(p.byFile.get('src/net/a.ts')).toBe(300);
    expect([...p.byFrame.keys()].some((k) => k.includes('idle'))).toBe(false);
  });

  it('names a frame by its asset when no map is loaded', () => {
    const p = profileBySource(profile, new Map());
    expect(p.byFrame.get('Qa index-x.js:1')).toBe(300);
    expect(p.byFile.get('index-x.js')).toBe(600);
  });
});
