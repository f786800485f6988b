/**
 * A Chrome trace of the whole browser over one run (BENCH_TRACE=file.json): thread CPU time of
 * every task, for `scripts/trace-cpu.py`-style analysis of where a page's main thread spends it.
 */
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

const CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8.execute',
  'blink',
  'webrtc',
  'disabled-by-default-v8.gc',
];

/** Starts tracing the browser of `page`; the returned function stops it and writes the events to `file`. */
export async function startTrace(page: Page, file: string): Promise<() => Promise<void>> {
  const s = await page.context().newCDPSession(page);
  await s.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: { includedCategories: CATEGORIES, enableSampling: false },
  });
  return async () => {
    const done = new Promise<string>((resolve) =>
      s.once('Tracing.tracingComplete', (e: { stream?: string }) => resolve(e.stream!)),
    );
    await s.send('Tracing.end');
    const handle = await done;
    const parts: string[] = [];
    for (;;) {
      const r = await s.send('IO.read', { handle, size: 1 << 22 });
      parts.push(r.base64Encoded ? Buffer.from(r.data, 'base64').toString('utf8') : r.data);
      if (r.eof) break;
    }
    await s.send('IO.close', { handle });
    writeFileSync(file, parts.join(''));
  };
}
