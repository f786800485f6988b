import { describe, expect, it } from 'vitest';
import { MAX_SHARED_BYTES, MAX_SHARED_FILES, filesToKeep, isSharedMeta, sharedText } from '../../src/app/share-limits';
import { MAX_TEXT_LENGTH } from '../../src/app/text-limits';

describe('what a share keeps', () => {
  it('joins title, text and url once each, trimmed; non-strings (a file in a text field) are ignored', () => {
    expect(sharedText({ title: 'Look', text: 'https://x.test/a', url: 'https://x.test/a' })).toEqual({
      text: 'Look\nhttps://x.test/a',
      cut: false,
    });
    expect(sharedText({ title: '  ', text: { name: 'f' }, url: undefined })).toEqual({ text: '', cut: false });
  });

  it("cuts the text to the chat's limit and says so", () => {
    const r = sharedText({ text: 'y'.repeat(MAX_TEXT_LENGTH + 10) });
    expect(r.text).toHaveLength(MAX_TEXT_LENGTH);
    expect(r.cut).toBe(true);
  });

  it('keeps files in order up to the count and byte bounds, and counts the rest as dropped', () => {
    const many = Array.from({ length: MAX_SHARED_FILES + 3 }, () => ({ size: 1 }));
    expect(filesToKeep(many)).toMatchObject({ dropped: 3 });
    const big = [{ size: MAX_SHARED_BYTES - 10 }, { size: 11 }, { size: 5 }];
    expect(filesToKeep(big)).toEqual({ keep: [big[0]], dropped: 2 });
    expect(filesToKeep([])).toEqual({ keep: [], dropped: 0 });
  });

  it('reads back only a well-formed description', () => {
    const ok = { text: 'hi', files: [{ name: 'a', type: '', size: 1 }], droppedFiles: 0, textCut: false, at: 1 };
    expect(isSharedMeta(ok)).toBe(true);
    expect(isSharedMeta({ ...ok, files: [{ name: 1 }] })).toBe(false);
    expect(isSharedMeta({ ...ok, files: Array.from({ length: MAX_SHARED_FILES + 1 }, () => ok.files[0]) })).toBe(false);
    expect(isSharedMeta(null)).toBe(false);
  });
});
