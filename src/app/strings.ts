/**
 * User-facing words of the app in one place (docs/app.md "Words and formats"), so a translation
 * is one more object of this shape. `t` is the one entry point; its sections live in
 * `strings/*.ts`: the words of every error (their stable codes stay in `errors.ts` and
 * `backup-words.ts`), the panels (invites, identity, key change, backup), the chat screens, file
 * transfers, groups, and the app's status lines and settings panels. Numbers, sizes, times and
 * plurals go through `format.ts` (Intl).
 * @module
 */
import { errorWords } from './strings/errors';
import { panelWords } from './strings/panels';
import { chatWords } from './strings/chat';
import { transferWords } from './strings/transfers';
import { groupWords } from './strings/groups';
import { statusWords } from './strings/status';
import { keepWords } from './strings/keep';

export const t = {
  ...errorWords,
  ...panelWords,
  ...chatWords,
  ...transferWords,
  ...groupWords,
  ...statusWords,
  ...keepWords,
} as const;

/** The words for a failed transfer with `code` (see `t.transferFailed`), with the code for support. */
export function transferFailedText(code: string): string {
  return `${t.transferFailed[code] ?? t.transferFailed.other} (${code})`;
}
