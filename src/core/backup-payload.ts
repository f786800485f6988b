/**
 * What a backup holds, and its canonical JSON encoding: the plaintext inside the encrypted
 * backup file of `backup.ts` (docs/backup.md §4). Kept apart so the schema, its validation
 * and its encoding can be read in one place.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { failure, type Failure } from './errors';
import { fromBase64Url, toBase64Url } from './base64url';
import { identityFromSeed, isValidPublicKey, type Identity } from './identity';
import { cleanDisplayName } from './invite';
import { cleanPeerText, MAX_CONTACT_LABEL_BYTES } from './peer-text';

/** One contact as backed up (docs/backup.md §4). */
export interface BackupContact {
  /** Their long-term Ed25519 key, 32 bytes. */
  publicKey: Uint8Array;
  /** The name shown for them ('' when none). */
  name: string;
  /** deriveContactSecret(handshakeSecret) from the pairing, 32 bytes (docs/protocol-app.md §3.3). */
  contactSecret: Uint8Array;
  /** Whether the safety number was compared. */
  verified: boolean;
  /** When they were added, ms since the epoch. */
  addedAt: number;
  /** Keys they used before an accepted key change, oldest first (schema 2; absent in schema 1 = none). */
  formerKeys?: Uint8Array[];
  /** Blocked by the person (schema 2; absent in schema 1 = false). */
  blocked?: boolean;
  /** The person's own label for them, '' for none (schema 3; absent before = none). Clean like a name, ≤ 64 bytes. */
  label?: string;
}

/** Everything a backup restores (docs/backup.md §4). */
export interface BackupData {
  /** When the file was made, ms since the epoch. */
  exportedAt: number;
  identity: Identity;
  /** Own display name ('' until chosen). */
  name: string;
  contacts: BackupContact[];
}

/** Schema version of the payload that export writes, its `schema` field (docs/backup.md §4). */
export const BACKUP_SCHEMA = 3;
/** Schema versions import reads: 1 (no former keys, no blocked mark), 2 (no labels) and 3 (docs/backup.md §4). */
export const BACKUP_SCHEMAS_READ: readonly number[] = [1, 2, 3];
/** Most former keys one backed-up contact may list (as kept per contact: contact-guard.ts). */
export const MAX_BACKUP_FORMER_KEYS = 32;
/** Most contacts one backup may hold (docs/backup.md §4). */
export const MAX_BACKUP_CONTACTS = 10_000;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/**
 * Describes the first problem in `data` as "field: problem", or returns null when it is valid.
 * Field names are the JSON paths of docs/backup.md §4.
 */
function problemIn(data: BackupData): string | null {
  if (typeof data !== 'object' || data === null) return 'data: expected { identity, name, contacts }';
  if (!isTime(data.exportedAt)) return 'exportedAt: expected a non-negative integer (ms)';
  const id = data.identity as Partial<Identity> | null;
  if (typeof id !== 'object' || id === null) return 'identity: expected { publicKey, secretKey }';
  if (!(id.secretKey instanceof Uint8Array) || id.secretKey.length !== 64)
    return 'identity.secretKey: expected 64 bytes (seed ‖ publicKey)';
  if (!(id.publicKey instanceof Uint8Array) || id.publicKey.length !== 32)
    return 'identity.publicKey: expected 32 bytes';
  const derived = identityFromSeed(id.secretKey.subarray(0, 32)).publicKey;
  if (!equalBytes(derived, id.publicKey) || !equalBytes(derived, id.secretKey.subarray(32)))
    return 'identity.secretKey: its public half does not belong to its seed';
  if (!isName(data.name)) return 'name: expected a clean display name of at most 64 bytes, or ""';
  if (!Array.isArray(data.contacts)) return 'contacts: expected an array';
  if (data.contacts.length > MAX_BACKUP_CONTACTS) return `contacts: more than ${MAX_BACKUP_CONTACTS}`;
  const seen = new Set<string>([toBase64Url(id.publicKey)]);
  for (let i = 0; i < data.contacts.length; i++) {
    const c = data.contacts[i] as Partial<BackupContact> | null;
    const at = `contacts[${i}]`;
    if (typeof c !== 'object' || c === null) return `${at}: expected a contact`;
    if (!(c.publicKey instanceof Uint8Array) || !isValidPublicKey(c.publicKey))
      return `${at}.publicKey: not a valid Ed25519 public key`;
    const key = toBase64Url(c.publicKey);
    if (seen.has(key)) return `${at}.publicKey: the same key appears twice (or is the identity's own)`;
    seen.add(key);
    if (!isName(c.name)) return `${at}.name: expected a clean display name of at most 64 bytes, or ""`;
    if (!(c.contactSecret instanceof Uint8Array) || c.contactSecret.length !== 32)
      return `${at}.contactSecret: expected 32 bytes`;
    if (typeof c.verified !== 'boolean') return `${at}.verified: expected a boolean`;
    if (!isTime(c.addedAt)) return `${at}.addedAt: expected a non-negative integer (ms)`;
    const former = formerProblem(c, at);
    if (former) return former;
    if (c.blocked !== undefined && typeof c.blocked !== 'boolean') return `${at}.blocked: expected a boolean`;
    if (c.label !== undefined && !isLabel(c.label))
      return `${at}.label: expected a clean label of at most ${MAX_CONTACT_LABEL_BYTES} bytes, or ""`;
  }
  return null;
}

function formerProblem(c: Partial<BackupContact>, at: string): string | null {
  if (c.formerKeys === undefined) return null;
  if (!Array.isArray(c.formerKeys) || c.formerKeys.length > MAX_BACKUP_FORMER_KEYS)
    return `${at}.formerKeys: expected an array of at most ${MAX_BACKUP_FORMER_KEYS} keys`;
  const seen = new Set<string>([toBase64Url(c.publicKey!)]);
  for (let j = 0; j < c.formerKeys.length; j++) {
    const k = c.formerKeys[j];
    if (!(k instanceof Uint8Array) || !isValidPublicKey(k))
      return `${at}.formerKeys[${j}]: not a valid Ed25519 public key`;
    if (seen.has(toBase64Url(k))) return `${at}.formerKeys[${j}]: repeats the contact's key or an earlier former key`;
    seen.add(toBase64Url(k));
  }
  return null;
}

/** Throws a TypeError naming the first invalid field, checked as in docs/backup.md §4 (data handed to export: a programmer mistake). */
export function validateBackupData(data: BackupData): void {
  const problem = problemIn(data);
  if (problem) throw new TypeError(`backup ${problem}`);
}

/**
 * The canonical payload encoding (docs/backup.md §4): UTF-8 JSON, fields in the documented
 * order, bytes as strict base64url, no white space. Expects valid data.
 */
export function encodeBackupPayload(data: BackupData, schema: number = BACKUP_SCHEMA): Uint8Array {
  return enc.encode(
    JSON.stringify({
      schema,
      exportedAt: data.exportedAt,
      identity: { secretKey: toBase64Url(data.identity.secretKey) },
      name: data.name,
      contacts: data.contacts.map((c) => ({
        publicKey: toBase64Url(c.publicKey),
        name: c.name,
        contactSecret: toBase64Url(c.contactSecret),
        verified: c.verified,
        addedAt: c.addedAt,
        ...(schema >= 2
          ? { formerKeys: (c.formerKeys ?? []).map((k) => toBase64Url(k)), blocked: c.blocked ?? false }
          : {}),
        ...(schema >= 3 ? { label: c.label ?? '' } : {}),
      })),
    }),
  );
}

type PayloadFailure = Failure<'BACKUP_MALFORMED' | 'BACKUP_VERSION'>;

/**
 * Parses and checks a decrypted payload: every field's type and value, then canonical form
 * (re-encoding must give the same bytes, so extra or reordered fields are refused) (docs/backup.md §4).
 */
export function decodeBackupPayload(bytes: Uint8Array): { ok: true; data: BackupData } | PayloadFailure {
  let json: unknown;
  try {
    json = JSON.parse(dec.decode(bytes));
  } catch {
    return malformed('payload', 'not UTF-8 JSON');
  }
  if (!isRecord(json)) return malformed('payload', 'not a JSON object');
  const schema = json.schema;
  if (typeof schema !== 'number' || !BACKUP_SCHEMAS_READ.includes(schema))
    return typeof schema === 'number'
      ? failure(
          'BACKUP_VERSION',
          'local',
          'import: schema',
          `This backup's contents have schema ${schema}; this Parley reads schemas ${BACKUP_SCHEMAS_READ.join(', ')}. Update Parley and try again.`,
        )
      : malformed('schema', 'missing');
  const identity = json.identity;
  const secretKey = isRecord(identity) ? bytesOf(identity.secretKey) : null;
  if (!secretKey || secretKey.length !== 64) return malformed('identity.secretKey', 'expected base64url of 64 bytes');
  if (!Array.isArray(json.contacts)) return malformed('contacts', 'expected an array');
  if (json.contacts.length > MAX_BACKUP_CONTACTS) return malformed('contacts', `more than ${MAX_BACKUP_CONTACTS}`);
  const contacts: BackupContact[] = [];
  for (let i = 0; i < json.contacts.length; i++) {
    const c = readContact(json.contacts[i], i, schema);
    if ('ok' in c) return c;
    contacts.push(c);
  }
  const data: BackupData = {
    exportedAt: json.exportedAt as number,
    identity: { publicKey: secretKey.slice(32), secretKey },
    name: json.name as string,
    contacts,
  };
  const problem = problemIn(data);
  if (problem) return malformed(problem.slice(0, problem.indexOf(':')), problem.slice(problem.indexOf(':') + 2));
  if (schema >= 2 && data.contacts.some((c) => typeof c.blocked !== 'boolean'))
    return malformed('contacts', 'a contact without a boolean blocked');
  if (schema >= 3 && data.contacts.some((c) => typeof c.label !== 'string'))
    return malformed('contacts', 'a contact without a string label');
  if (!equalBytes(encodeBackupPayload(data, schema), bytes))
    return malformed('payload', 'not in canonical form (extra, missing or reordered fields)');
  return { ok: true, data };
}

/** One entry of `contacts`, field by field (docs/backup.md §4); schema 2 adds formerKeys and blocked, schema 3 label. */
function readContact(c: unknown, i: number, schema: number): BackupContact | PayloadFailure {
  if (!isRecord(c)) return malformed(`contacts[${i}]`, 'expected an object');
  const publicKey = bytesOf(c.publicKey);
  const contactSecret = bytesOf(c.contactSecret);
  if (!publicKey) return malformed(`contacts[${i}].publicKey`, 'expected base64url');
  if (!contactSecret) return malformed(`contacts[${i}].contactSecret`, 'expected base64url');
  const contact: BackupContact = {
    publicKey,
    name: c.name as string,
    contactSecret,
    verified: c.verified as boolean,
    addedAt: c.addedAt as number,
  };
  if (schema >= 2) {
    if (!Array.isArray(c.formerKeys)) return malformed(`contacts[${i}].formerKeys`, 'expected an array');
    const former = c.formerKeys.map(bytesOf);
    const bad = former.findIndex((k) => !k);
    if (bad >= 0) return malformed(`contacts[${i}].formerKeys[${bad}]`, 'expected base64url');
    contact.formerKeys = former as Uint8Array[];
    contact.blocked = c.blocked as boolean;
  }
  if (schema >= 3) contact.label = c.label as string;
  return contact;
}

function malformed(field: string, problem: string): PayloadFailure {
  return failure(
    'BACKUP_MALFORMED',
    'local',
    `import: ${field}`,
    `The backup decrypted but its contents are invalid at ${field} (${problem}): made by a buggy or incompatible Parley.`,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bytesOf(v: unknown): Uint8Array | null {
  return typeof v === 'string' ? fromBase64Url(v) : null;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isName(v: unknown): v is string {
  return typeof v === 'string' && (v === '' || cleanDisplayName(v) === v);
}

/** '' or a label as the app stores it: `cleanPeerText` leaves it unchanged (docs/app.md "Renaming a contact"). */
function isLabel(v: unknown): v is string {
  return typeof v === 'string' && (v === '' || cleanPeerText(v, MAX_CONTACT_LABEL_BYTES) === v);
}
