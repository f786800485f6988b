import { describe, expect, it } from 'vitest';
import { transferFailedText } from '../../src/app/strings';

describe('transfer failures in human words (docs/app.md "Files")', () => {
  it('says what happened and what to do, with the code, never the core’s wording', () => {
    const s = transferFailedText('TRANSFER_HASH_MISMATCH');
    expect(s).toMatch(/damaged or altered.*Send it again\. \(TRANSFER_HASH_MISMATCH\)$/);
    expect(s.replace(/\(\w+\)$/, '')).not.toMatch(/chunk|hash/i);
    // A code without its own words still gets a sentence a person can act on.
    expect(transferFailedText('TRANSFER_BAD_INDEX')).toMatch(
      /did not understand.*update Parley\. \(TRANSFER_BAD_INDEX\)$/,
    );
  });
});
