/**
 * What the installed app accepts from the system's share sheet (docs/pwa.md "Share target"): the
 * path the manifest's `share_target` posts to, where the service worker keeps a share until the
 * page takes it, and the bounds on what is kept. Pure, so the service worker, the page, the Vite
 * config and the tests share one copy.
 * @module
 */
import { MAX_FILES } from '../core/transfer-codec';
import { MAX_TEXT_LENGTH } from './text-limits';

/** The manifest's `share_target.action`; only the service worker answers it. */
export const SHARE_TARGET_PATH = '/share-target';
/** The fragment the service worker sends the page to after keeping a share (fragments never reach a server). */
export const SHARE_FRAGMENT = '#share';
/** The Cache Storage cache holding the one pending share (a new share replaces it). */
export const SHARE_CACHE = 'parley-share';
/** The cache entry with the share's description ({@link SharedMeta}); files are at `…/file/<i>`. */
export const SHARE_META_URL = '/__parley-share/meta';
export const shareFileUrl = (i: number): string => `/__parley-share/file/${i}`;

/** At most as many files as one offer carries (core/transfer-codec.ts `MAX_FILES`). */
export const MAX_SHARED_FILES = MAX_FILES;
/** Shared bytes kept at most: any page can post to the share path, so it cannot fill this origin's storage. */
export const MAX_SHARED_BYTES = 1024 ** 3;

/** One shared file as the service worker received it. */
export interface SharedFileInfo {
  name: string;
  type: string;
  size: number;
}

/** What the service worker keeps about a share: the text, the files it kept, and what it left out. */
export interface SharedMeta {
  text: string;
  files: SharedFileInfo[];
  /** Files left out because of {@link MAX_SHARED_FILES} or {@link MAX_SHARED_BYTES}. */
  droppedFiles: number;
  /** Whether the text was cut to the chat's {@link MAX_TEXT_LENGTH}. */
  textCut: boolean;
  at: number;
}

/**
 * The share's text from the form's `title`, `text` and `url` fields (apps fill them differently:
 * a link often comes as `text` with an empty `url`), each once, joined by line breaks and cut to
 * the chat's limit.
 */
export function sharedText(fields: { title?: unknown; text?: unknown; url?: unknown }): {
  text: string;
  cut: boolean;
} {
  const parts: string[] = [];
  for (const v of [fields.title, fields.text, fields.url])
    if (typeof v === 'string' && v.trim() && !parts.includes(v.trim())) parts.push(v.trim());
  const text = parts.join('\n');
  return text.length > MAX_TEXT_LENGTH ? { text: text.slice(0, MAX_TEXT_LENGTH), cut: true } : { text, cut: false };
}

/** The files to keep, in order, until one would pass the count or byte bound; the rest are counted as dropped. */
export function filesToKeep<T extends { size: number }>(files: readonly T[]): { keep: T[]; dropped: number } {
  const keep: T[] = [];
  let bytes = 0;
  for (const f of files) {
    if (keep.length >= MAX_SHARED_FILES || bytes + f.size > MAX_SHARED_BYTES) break;
    keep.push(f);
    bytes += f.size;
  }
  return { keep, dropped: files.length - keep.length };
}

/** A value read back from the cache is a {@link SharedMeta} (a damaged one is ignored). */
export function isSharedMeta(v: unknown): v is SharedMeta {
  const m = v as Partial<SharedMeta> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.text === 'string' &&
    typeof m.droppedFiles === 'number' &&
    typeof m.textCut === 'boolean' &&
    typeof m.at === 'number' &&
    Array.isArray(m.files) &&
    m.files.length <= MAX_SHARED_FILES &&
    m.files.every(
      (f: unknown) =>
        typeof f === 'object' &&
        f !== null &&
        typeof (f as SharedFileInfo).name === 'string' &&
        typeof (f as SharedFileInfo).type === 'string' &&
        typeof (f as SharedFileInfo).size === 'number',
    )
  );
}
