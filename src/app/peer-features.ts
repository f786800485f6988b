/**
 * The app's side of versions (docs/protocol.md "Compatibility", docs/app.md "Versions"): the
 * one place this page's own feature set comes from, and what the person is told when a contact's
 * Parley cannot take something.
 *
 * The test switch: `localStorage['parley.test.version']`, read once when the app starts, makes
 * the page run as an older version — `v1` (no announcement) or `v2:<features>` (a subset of
 * this build's). It can only take features away (`parseFeatureConfig`). localStorage belongs to
 * this origin alone, and nothing a peer sends is ever written to it.
 * @module
 */
import {
  CURRENT,
  maySend,
  parseFeatureConfig,
  TYPE_FEATURE,
  type Announcement,
  type FeatureName,
} from '../core/features';
import type { WireMessage } from '../core/wire';
import type { LinkFeatures } from '../net/secure-link';
import type { AppError } from './errors';
import { t } from './strings';

/** The localStorage key of the test switch. */
export const VERSION_SWITCH_KEY = 'parley.test.version';

/** This page's announcement: {@link CURRENT}, unless the test switch says otherwise (null: version 1). */
export function ownFeatures(storage: Pick<Storage, 'getItem'> | null): Announcement | null {
  let text: string | null = null;
  try {
    text = storage?.getItem(VERSION_SWITCH_KEY) ?? null;
  } catch {
    return CURRENT; // storage refused: run as this build
  }
  if (text === null) return CURRENT;
  const c = parseFeatureConfig(text);
  if (c.ok) return c.own;
  console.warn(`Parley: ignoring ${VERSION_SWITCH_KEY}=${JSON.stringify(text)}: ${c.reason}`);
  return CURRENT;
}

/** What each feature lets the person do, for the words below. */
const WHAT: Record<FeatureName, string> = {
  'file-key': t.versions.what.files,
  'file-chunk-v2': t.versions.what.files,
  'file-chunk-v3': t.versions.what.files,
  'file-ack-window': t.versions.what.files,
  'unsupported-ack': t.versions.what.everything,
  groups: t.versions.what.groups,
};

/**
 * Why a message of `type` cannot go to the contact `name` on a link with these announcements,
 * or null when it can (or nothing is known yet: then the outbox and the unsupported receipt
 * take care of it). `PEER_TOO_OLD`: their Parley lacks it; `VERSION_TOO_OLD`: this one does.
 */
export function sendRefusal(f: LinkFeatures | null, type: WireMessage['type'], name: string): AppError | null {
  const feature = TYPE_FEATURE[type];
  if (!f || !feature || maySend(f.own, f.peer, type)) return null;
  const what = WHAT[feature];
  if (!maySend(f.own, f.own, type))
    return {
      code: 'VERSION_TOO_OLD',
      message: t.versions.ownTooOld(what),
      action: t.versions.reload,
    };
  return peerTooOld(feature, name);
}

/**
 * What the person is told when `name`'s Parley lacks `feature`: on a refused send, and when
 * queued messages (group copies) were withheld from that contact (docs/protocol.md "Compatibility").
 */
export function peerTooOld(feature: FeatureName, name: string): AppError {
  // Its Parley has files, only not this version's (docs/files.md §10–§12).
  const what = feature === 'file-chunk-v2' || feature === 'file-chunk-v3' ? t.versions.what.filesV2 : WHAT[feature];
  return {
    code: 'PEER_TOO_OLD',
    message: t.versions.peerTooOld(name, what),
    action: t.versions.askReload(name, what),
  };
}

/** The chat's line about a contact whose Parley lacks files, or null (docs/app.md "Versions"). */
export function versionNotice(f: LinkFeatures | null, name: string): string | null {
  const r = sendRefusal(f, 'transfer', name);
  return r ? `${r.message} ${r.action}` : null;
}
