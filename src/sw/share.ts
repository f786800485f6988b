/**
 * The service worker's half of the share target (docs/pwa.md "Share target"): reads the posted
 * form, keeps its text and files (within src/app/share-limits.ts's bounds) in Cache Storage,
 * replacing any share the page has not taken yet, for the page to pick up (src/app/share.svelte.ts).
 * @module
 */
import {
  SHARE_CACHE,
  SHARE_META_URL,
  filesToKeep,
  shareFileUrl,
  sharedText,
  type SharedMeta,
} from '../app/share-limits';

/** Keeps the share posted in `request`; rejects when the form cannot be read or storage refuses it. */
export async function keepShare(request: Request, now = Date.now()): Promise<SharedMeta> {
  const form = await request.formData();
  const { text, cut } = sharedText({ title: form.get('title'), text: form.get('text'), url: form.get('url') });
  const posted = form.getAll('files').filter((f): f is File => typeof f !== 'string');
  const { keep, dropped } = filesToKeep(posted);
  const meta: SharedMeta = {
    text,
    textCut: cut,
    files: keep.map((f) => ({ name: f.name, type: f.type, size: f.size })),
    droppedFiles: dropped,
    at: now,
  };
  // One pending share at most: whatever an earlier share left goes first.
  await caches.delete(SHARE_CACHE);
  const cache = await caches.open(SHARE_CACHE);
  for (const [i, f] of keep.entries())
    await cache.put(
      shareFileUrl(i),
      new Response(f, { headers: { 'Content-Type': f.type || 'application/octet-stream' } }),
    );
  await cache.put(
    SHARE_META_URL,
    new Response(JSON.stringify(meta), { headers: { 'Content-Type': 'application/json' } }),
  );
  return meta;
}
