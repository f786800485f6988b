/** Display names from peers and links, made safe to show. @module */
import { cleanDisplayName } from '../core/invite';

/** A display name from a peer or a link, cleaned (or '' when nothing is left). */
export function cleanName(n: unknown): string {
  return typeof n === 'string' ? cleanDisplayName(n) ?? '' : '';
}
