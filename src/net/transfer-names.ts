/**
 * File names and media types: from the user's files, made acceptable to the transfer codec
 * (docs/files.md §7–8); from a peer's offer, made safe to show (no bidi controls or invisible
 * characters: src/core/peer-text.ts). The name is only ever a download name, never a path.
 * @module
 */
import { cleanFileName, shownMediaType } from '../core/peer-text';
import type { TransferFileInfo } from './transfer-types';

const enc = new TextEncoder();
/** A name the codec accepts (docs/files.md §7): separators and control characters → `_`, at most 255 bytes. */
export function safeName(name: string): string {
  let n = name.replace(/[/\\\p{Cc}]/gu, '_').trim();
  while (enc.encode(n).length > 255) n = [...n].slice(0, -1).join('');
  return n === '' || n === '.' || n === '..' ? 'file' : n;
}
/** A media type the codec accepts (printable ASCII, ≤ 127 bytes), else a generic one. */
export function safeType(type: string): string {
  return enc.encode(type).length <= 127 && /^[\x20-\x7e]*$/.test(type) ? type : 'application/octet-stream';
}

/**
 * A file of a peer's offer as it is listed, shown and downloaded: the name without bidi controls
 * or invisible characters ("invoice\u202Efdp.exe" is "invoicefdp.exe"), the type only if it is a
 * plain `type/subtype` (shown as text; never the download's type, docs/files.md "Finished files").
 */
export function incomingFileInfo(f: { name: string; type: string; size: number }): TransferFileInfo {
  return { name: cleanFileName(f.name), type: shownMediaType(f.type), size: f.size };
}
