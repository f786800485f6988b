/** Racing link attempts (contacts meet in several day rooms near midnight). @module */
import type { LinkResult } from '../net/link';

/**
 * Runs several link attempts at once and returns the first link; the others are aborted (and
 * closed, should one finish at the same moment). With no link, returns the most telling failure.
 */
export async function firstLink(
  attempts: ((signal: AbortSignal) => Promise<LinkResult>)[],
  outer: AbortSignal,
): Promise<LinkResult> {
  if (attempts.length === 1) return attempts[0]!(outer);
  const ac = new AbortController();
  const stop = () => ac.abort();
  outer.addEventListener('abort', stop, { once: true });
  let winner: LinkResult | null = null;
  const results = await Promise.all(
    attempts.map(async (run) => {
      const r = await run(ac.signal);
      if (r.ok) {
        if (winner?.ok) void r.link.close().catch(() => {});
        else {
          winner = r;
          ac.abort();
        }
      }
      return r;
    }),
  );
  outer.removeEventListener('abort', stop);
  if (winner) return winner;
  const order = ['LINK_HANDSHAKE_FAILED', 'LINK_WEBRTC_FAILED', 'LINK_CLOSED', 'LINK_TIMEOUT', 'LINK_ABORTED'];
  const failures = results.filter((r) => !r.ok);
  failures.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
  return outer.aborted ? (failures.find((f) => f.code === 'LINK_ABORTED') ?? failures[0]!) : failures[0]!;
}
