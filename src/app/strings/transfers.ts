/**
 * The words of file transfers: status lines, offers, failures (docs/app.md "Files").
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */
import { formatCount, plural } from '../format';

/** "a file" / "3 files". */
const files = (n: number) => plural(n, { one: 'a file', other: '# files' });
/** "1 file" / "3 files". */
const countFiles = (n: number) => plural(n, { one: '# file', other: '# files' });

export const transferWords = {
  /** A transfer in the chat (transfer-view.ts, TransferItem.svelte). */
  transfer: {
    acceptBlocked: 'Tick at least one file to accept, or decline the offer.',
    /** `duration` is Intl's ("5 sec", "3 min"). */
    eta: (duration: string) => `about ${duration} left`,
    skipped: (skipped: number, total: number) => `${formatCount(skipped)} of ${countFiles(total)} skipped`,
    waitingAccept: (peer: string) => `waiting for ${peer} to accept`,
    offers: (peer: string, n: number) => `${peer} offers ${files(n)}`,
    sending: 'sending',
    receiving: 'receiving',
    completeIn: 'complete — verified',
    completeOut: (peer: string) => `complete — ${peer} has verified it`,
    declinedBy: (peer: string) => `declined by ${peer}`,
    declined: 'declined',
    cancelledBy: (peer: string) => `cancelled by ${peer}`,
    cancelledByYou: 'cancelled by you',
    cancelled: 'cancelled',
    failed: (problem?: string) => `failed${problem ? ` — ${problem}` : ''}`,
    fileSkipped: 'skipped',
    filePurged: 'saved · removed from this browser',
    save: 'Save',
    fileSaved: 'saved',
    /** The progress bar's name when the transfer has no file name. */
    files: 'files',
    acceptSome: (chosen: number, total: number) => `Accept ${formatCount(chosen)} of ${formatCount(total)}`,
    accept: 'Accept',
    decline: 'Decline',
    cancel: 'Cancel',
    dismiss: 'Dismiss',
  },
  /** Offers a limit declined before anyone saw them (docs/files.md "Offer flood"). */
  refused: {
    why: {
      size: 'it was too large (over 64 GB, or split into too many pieces)',
      unanswered: '32 of their offers were already waiting for your answer',
      rate: 'they sent more offers in a short time than Parley takes (32 at once, then one every 10 seconds)',
      records: 'this chat already keeps as many transfers as Parley allows: dismiss or save older ones to make room',
    },
    text: (peer: string, offers: number, fileCount: number, why: string) => {
      const what =
        offers === 1 ? `an offer of ${files(fileCount)}` : `${formatCount(offers)} offers (${countFiles(fileCount)})`;
      const them = offers === 1 ? 'it' : 'them';
      return `Parley declined ${what} from ${peer} without showing ${them}: ${why}. ${peer} sees ${them} as declined and can send again later.`;
    },
  },
  /**
   * Why a transfer failed, in words a person can act on (docs/app.md "Files"); the core's
   * technical message stays in the failure for logs, the code is shown for support.
   */
  transferFailed: {
    TRANSFER_HASH_MISMATCH: 'a piece of the file arrived damaged or altered, so it was thrown away. Send it again.',
    TRANSFER_FILE_HASH_MISMATCH:
      'the received file does not match what was sent, so it was thrown away. Send it again.',
    TRANSFER_HASH_LIST_MISMATCH: 'the file’s checksums did not add up, so nothing was kept. Send it again.',
    TRANSFER_IO:
      'this browser could not read or write the file (storage full, or the file moved). Free some space or pick the file again.',
    TRANSFER_TOO_LARGE: 'the file is larger than Parley accepts.',
    TRANSFER_SIZE_OVERFLOW: 'more data arrived than the file’s size allows, so it was stopped. Send it again.',
    TRANSFER_STALLED:
      'nothing arrived for a long time. It carries on when you are both online; otherwise send it again.',
    TRANSFER_VERSION: 'the other side’s Parley handles files differently. Both should update Parley.',
    other:
      'the other side’s Parley sent something this one did not understand. Send the file again; if it keeps failing, both should update Parley.',
  } as Record<string, string> & { other: string },
} as const;
