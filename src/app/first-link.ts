/** Racing link attempts (contacts meet in several day rooms near midnight). @module */
import { isNoRouteFailure, type LinkFailure, type LinkResult } from '../net/link';

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
  const failures = results.filter((r) => !r.ok);
  failures.sort((a, b) => rank(a) - rank(b));
  return outer.aborted ? (failures.find((f) => f.code === 'LINK_ABORTED') ?? failures[0]!) : failures[0]!;
}

/**
 * Which failure tells the most: tampering first, then "the person was there but no route was
 * found" (whatever its code: a WebRTC failure, a timeout while ICE was trying, the peer giving up
 * for that reason), then the other codes.
 */
function rank(f: LinkFailure): number {
  if (f.code === 'LINK_HANDSHAKE_FAILED') return 0;
  if (isNoRouteFailure(f)) return 1;
  const order = ['LINK_CLOSED', 'LINK_TIMEOUT', 'LINK_ABORTED'];
  const i = order.indexOf(f.code);
  return i < 0 ? 2 + order.length : 2 + i;
}
