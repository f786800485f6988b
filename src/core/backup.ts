/**
 * Identity backup: the identity, the display name and the contacts in one passphrase-encrypted
 * file, to be imported in another browser (DESIGN.md "Storage"; issue "Contacts that last";
 * byte layout and reasons: docs/backup.md).
 *
 *   header = "PARLEYBK" ‖ version 0x01 ‖ kdf 0x01 (scrypt) ‖ log2 N ‖ r ‖ p ‖ salt(16) ‖ nonce(24) ‖ check(16)
 *   file   = header ‖ XChaCha20-Poly1305(key, nonce, aad = header, canonical JSON payload)
 *   master = scrypt(NFKC(passphrase), salt, N, r, p, 32)
 *   key    = HKDF-SHA256(master, info = "parley/backup/key/1", 32)
 *   check  = HKDF-SHA256(master, info = "parley/backup/check/1", 16)
 *
 * The check value tells a wrong passphrase (check differs) from a damaged or altered file
 * (check matches, tag does not). It gives an attacker nothing the tag does not already give:
 * each guess still costs one scrypt. The KDF parameters are read from the file but capped, so
 * a hostile file cannot make the importer allocate gigabytes.
 * @module
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { failure, type Failure } from './errors';
import { randomBytesFrom, type Identity, type RandomSource } from './identity';
import { decodeBackupPayload, encodeBackupPayload, validateBackupData, type BackupData } from './backup-payload';

export type { BackupContact, BackupData } from './backup-payload';
export { BACKUP_SCHEMA, MAX_BACKUP_CONTACTS } from './backup-payload';

/** Why an export was refused (docs/backup.md §4). */
export type ExportBackupErrorCode = 'BACKUP_WEAK_PASSPHRASE';
/** Why an import was refused (docs/backup.md §5). */
export type ImportBackupErrorCode =
  'BACKUP_MALFORMED' | 'BACKUP_WRONG_PASSPHRASE' | 'BACKUP_VERSION' | 'BACKUP_TAMPERED';
/** Result of {@link exportBackup}. */
export type ExportBackupResult = { ok: true; bytes: Uint8Array } | Failure<ExportBackupErrorCode>;
/** Result of {@link importBackup}. */
export type ImportBackupResult = { ok: true; data: BackupData } | Failure<ImportBackupErrorCode>;

/** scrypt cost: N = 2^log2N, block size r, parallelism p (RFC 7914 §2; docs/backup.md §3). */
export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}

/** The 8 ASCII bytes every backup file starts with (docs/backup.md §2). */
export const BACKUP_MAGIC = new TextEncoder().encode('PARLEYBK');
/** File format version, byte 8 (docs/backup.md §2). */
export const BACKUP_VERSION = 1;
/** KDF id for scrypt, byte 9 (docs/backup.md §2). */
export const KDF_SCRYPT = 1;
/**
 * Default cost: N = 2^17, r = 8, p = 1, i.e. 128 MiB and about 0.6–0.8 s in V8
 * (measured: docs/backup.md §3). RFC 7914 §2 suggests r = 8; OWASP's minimum is N = 2^17.
 */
export const DEFAULT_SCRYPT_COST: Readonly<ScryptCost> = Object.freeze({ log2N: 17, r: 8, p: 1 });
/** The most memory (128·N·r bytes) a file may ask for: 256 MiB, twice the default (docs/backup.md §3). */
export const MAX_SCRYPT_MEMORY = 2 ** 28;
/** The most work (N·r·p) a file may ask for: four times the default (docs/backup.md §3). */
export const MAX_SCRYPT_WORK = 2 ** 22;
/** Passphrases shorter than this many code points (after NFKC) are refused on export (docs/backup.md §5). */
export const MIN_PASSPHRASE_CHARS = 10;
/** ... and so are those with fewer different code points than this ("aaaaaaaaaa"). */
export const MIN_PASSPHRASE_DISTINCT = 5;
/** Largest file {@link importBackup} reads (8 MiB): larger is refused before any KDF work (docs/backup.md §4). */
export const MAX_BACKUP_BYTES = 8 * 2 ** 20;

const SALT_BYTES = 16;
const NONCE_BYTES = 24;
const CHECK_BYTES = 16;
const TAG_BYTES = 16;
/** Header length, 69: magic 8, version, kdf, log2N, r, p, salt 16, nonce 24, check 16 (docs/backup.md §2). */
export const BACKUP_HEADER_BYTES = 8 + 5 + SALT_BYTES + NONCE_BYTES + CHECK_BYTES;
const OFF_SALT = 13;
const OFF_NONCE = OFF_SALT + SALT_BYTES;
const OFF_CHECK = OFF_NONCE + NONCE_BYTES;

const enc = new TextEncoder();
const KEY_INFO = enc.encode('parley/backup/key/1');
const CHECK_INFO = enc.encode('parley/backup/check/1');

/** Options of {@link exportBackup} (docs/backup.md §1). */
export interface ExportBackupOptions {
  /** CSPRNG for the salt and nonce. */
  random: RandomSource;
  /** Export time, ms since the epoch (stored as `exportedAt`). */
  now: number;
  /** scrypt cost; {@link DEFAULT_SCRYPT_COST} unless given (tests use a tiny N). */
  cost?: ScryptCost;
  /** KDF progress, 0..1 (noble's scryptAsync `onProgress`). */
  onProgress?: (fraction: number) => void;
}

/**
 * Encrypts the identity, display name and contacts under a passphrase (docs/backup.md §2).
 * A passphrase that is too short or too repetitive is `BACKUP_WEAK_PASSPHRASE`; malformed
 * data or options are programmer mistakes and throw, naming the field.
 */
export async function exportBackup(
  data: { identity: Identity; name: string; contacts: BackupData['contacts'] },
  passphrase: string,
  opts: ExportBackupOptions,
): Promise<ExportBackupResult> {
  if (typeof passphrase !== 'string') throw new TypeError(`passphrase: expected string, got ${typeof passphrase}`);
  if (typeof opts !== 'object' || opts === null)
    throw new TypeError('opts: expected { random, now, cost?, onProgress? }');
  if (!Number.isSafeInteger(opts.now) || opts.now < 0)
    throw new TypeError('opts.now: expected a non-negative integer (ms)');
  const cost = opts.cost ?? DEFAULT_SCRYPT_COST;
  const costProblem = checkCost(cost);
  if (costProblem) throw new RangeError(`opts.cost: ${costProblem}`);
  const full: BackupData = { exportedAt: opts.now, identity: data.identity, name: data.name, contacts: data.contacts };
  validateBackupData(full); // throws, naming the field
  const normalized = passphrase.normalize('NFKC');
  const chars = Array.from(normalized);
  if (chars.length < MIN_PASSPHRASE_CHARS || new Set(chars).size < MIN_PASSPHRASE_DISTINCT)
    return failure(
      'BACKUP_WEAK_PASSPHRASE',
      'local',
      'export: passphrase',
      `The passphrase is too weak: use at least ${MIN_PASSPHRASE_CHARS} characters, not just a few repeated ones (a few random words work well).`,
    );

  const header = new Uint8Array(BACKUP_HEADER_BYTES);
  header.set(BACKUP_MAGIC, 0);
  header.set([BACKUP_VERSION, KDF_SCRYPT, cost.log2N, cost.r, cost.p], 8);
  header.set(randomBytesFrom(opts.random, SALT_BYTES), OFF_SALT);
  header.set(randomBytesFrom(opts.random, NONCE_BYTES), OFF_NONCE);
  const keys = await deriveKeys(normalized, header, cost, opts.onProgress);
  header.set(keys.check, OFF_CHECK);
  const plaintext = encodeBackupPayload(full);
  const sealed = xchacha20poly1305(keys.key, header.subarray(OFF_NONCE, OFF_CHECK), header).encrypt(plaintext);
  keys.key.fill(0);
  plaintext.fill(0);
  const bytes = new Uint8Array(header.length + sealed.length);
  bytes.set(header, 0);
  bytes.set(sealed, header.length);
  return { ok: true, bytes };
}

/**
 * Decrypts and validates a backup file (docs/backup.md §5). Never throws for any `bytes`:
 * a file that is not a backup, cut short or of impossible shape is `BACKUP_MALFORMED`; another
 * format or schema version `BACKUP_VERSION`; a passphrase (or KDF header) that does not match
 * `BACKUP_WRONG_PASSPHRASE`; a right passphrase but altered contents `BACKUP_TAMPERED`.
 */
export async function importBackup(
  bytes: Uint8Array,
  passphrase: string,
  opts: { onProgress?: (fraction: number) => void } = {},
): Promise<ImportBackupResult> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes: expected Uint8Array, got ${typeof bytes}`);
  if (typeof passphrase !== 'string') throw new TypeError(`passphrase: expected string, got ${typeof passphrase}`);
  const h = readHeader(bytes);
  if (!h.ok) return h;
  const keys = await deriveKeys(passphrase.normalize('NFKC'), h.header, h.cost, opts.onProgress);
  const plaintext = openPayload(bytes, h.header, keys);
  if (!(plaintext instanceof Uint8Array)) return plaintext;
  const decoded = decodeBackupPayload(plaintext);
  plaintext.fill(0);
  if (!decoded.ok) return decoded;
  return { ok: true, data: decoded.data };
}

/** The header of a file that is a backup this version reads, with a KDF cost within bounds; or why not. */
function readHeader(
  bytes: Uint8Array,
): { ok: true; header: Uint8Array; cost: ScryptCost } | Failure<ImportBackupErrorCode> {
  const notBackup = 'This file is not a Parley backup, or it is incomplete (cut short while copying).';
  if (bytes.length < 10 || !equalBytes(bytes.subarray(0, 8), BACKUP_MAGIC))
    return bad('BACKUP_MALFORMED', 'magic', notBackup);
  if (bytes[8] !== BACKUP_VERSION)
    return bad(
      'BACKUP_VERSION',
      'version',
      `This backup has format version ${bytes[8] ?? 'none'}; this Parley reads version ${BACKUP_VERSION}. Update Parley and try again.`,
    );
  if (bytes[9] !== KDF_SCRYPT)
    return bad(
      'BACKUP_VERSION',
      'kdf',
      `This backup uses key derivation ${bytes[9] ?? 'none'}, which this Parley does not know (made by a newer version, or damaged).`,
    );
  if (bytes.length < BACKUP_HEADER_BYTES + TAG_BYTES) return bad('BACKUP_MALFORMED', 'length', notBackup);
  if (bytes.length > MAX_BACKUP_BYTES)
    return bad(
      'BACKUP_MALFORMED',
      'length',
      `This file (${bytes.length} bytes) is larger than any Parley backup (${MAX_BACKUP_BYTES}).`,
    );
  const header = bytes.slice(0, BACKUP_HEADER_BYTES);
  const cost: ScryptCost = { log2N: header[10]!, r: header[11]!, p: header[12]! };
  const costProblem = checkCost(cost);
  if (costProblem)
    return bad(
      'BACKUP_MALFORMED',
      'kdf parameters',
      `The backup's key derivation parameters are invalid (${costProblem}): the file is damaged.`,
    );
  return { ok: true, header, cost };
}

/** Checks the passphrase against the header and decrypts the payload; the derived key is zeroed either way. */
function openPayload(
  bytes: Uint8Array,
  header: Uint8Array,
  keys: { key: Uint8Array; check: Uint8Array },
): Uint8Array | Failure<ImportBackupErrorCode> {
  try {
    if (!equalBytes(keys.check, header.subarray(OFF_CHECK)))
      return bad(
        'BACKUP_WRONG_PASSPHRASE',
        'passphrase',
        'Wrong passphrase for this backup (or its header is damaged). Check the passphrase and try again.',
      );
    try {
      return xchacha20poly1305(keys.key, header.subarray(OFF_NONCE, OFF_CHECK), header).decrypt(
        bytes.subarray(BACKUP_HEADER_BYTES),
      );
    } catch {
      return bad(
        'BACKUP_TAMPERED',
        'decrypt',
        'The passphrase is right but the backup was altered or damaged after it was made; nothing was imported.',
      );
    }
  } finally {
    keys.key.fill(0);
  }
}

/** Why a cost is out of bounds, or `null` when it is acceptable (docs/backup.md §3). */
function checkCost(cost: ScryptCost): string | null {
  if (typeof cost !== 'object' || cost === null) return 'expected { log2N, r, p }';
  const { log2N, r, p } = cost;
  if (!Number.isInteger(log2N) || log2N < 1 || log2N > 20) return `log2N = ${log2N}, expected 1..20`;
  if (!Number.isInteger(r) || r < 1 || r > 32) return `r = ${r}, expected 1..32`;
  if (!Number.isInteger(p) || p < 1 || p > 16) return `p = ${p}, expected 1..16`;
  if (128 * r * 2 ** log2N > MAX_SCRYPT_MEMORY)
    return `128·N·r = ${128 * r * 2 ** log2N} bytes exceeds ${MAX_SCRYPT_MEMORY}`;
  if (2 ** log2N * r * p > MAX_SCRYPT_WORK) return `N·r·p = ${2 ** log2N * r * p} exceeds ${MAX_SCRYPT_WORK}`;
  return null;
}

async function deriveKeys(
  passphrase: string,
  header: Uint8Array,
  cost: ScryptCost,
  onProgress?: (fraction: number) => void,
): Promise<{ key: Uint8Array; check: Uint8Array }> {
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new TypeError('opts.onProgress: expected a function');
  const secret = enc.encode(passphrase);
  const master = await scryptAsync(secret, header.subarray(OFF_SALT, OFF_NONCE), {
    N: 2 ** cost.log2N,
    r: cost.r,
    p: cost.p,
    dkLen: 32,
    maxmem: MAX_SCRYPT_MEMORY + 2 ** 20,
    ...(onProgress ? { onProgress } : {}),
  });
  secret.fill(0);
  const key = hkdf(sha256, master, undefined, KEY_INFO, 32);
  const check = hkdf(sha256, master, undefined, CHECK_INFO, CHECK_BYTES);
  master.fill(0);
  return { key, check };
}

function bad(code: ImportBackupErrorCode, step: string, message: string): Failure<ImportBackupErrorCode> {
  return failure(code, 'local', `import: ${step}`, message);
}
