/**
 * The words of file transfers: status lines, offers, failures (docs/app.md "Files").
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */

export const transferWords = {
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
