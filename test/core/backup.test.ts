import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hkdfSync, scryptSync } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import vector from '../vectors/parley-backup.json';
import vector2 from '../vectors/parley-backup-v2.json';
import vector3 from '../vectors/parley-backup-v3.json';
import {
  BACKUP_HEADER_BYTES,
  exportBackup,
  importBackup,
  type BackupContact,
  type BackupData,
  type ImportBackupResult,
  type ScryptCost,
} from '../../src/core/backup';
import { identityFromSeed } from '../../src/core/identity';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const TINY: ScryptCost = { log2N: 4, r: 8, p: 1 }; // fast tests; the vector uses 2^10
const PASS = 'violet tractor sunrise';
const CODES = ['BACKUP_MALFORMED', 'BACKUP_WRONG_PASSPHRASE', 'BACKUP_VERSION', 'BACKUP_TAMPERED'];
let counter = 0;
const random = (n: number) =>
  Uint8Array.from({ length: n }, () => (counter = (counter * 1103515245 + 12345) >>> 0) >>> 24);

const vectorContacts: BackupContact[] = vector.contacts.map((c) => ({
  ...c,
  publicKey: hex(c.publicKey),
  contactSecret: hex(c.contactSecret),
}));
const vectorData: BackupData = {
  exportedAt: vector.now,
  identity: identityFromSeed(hex(vector.seed)),
  name: vector.name,
  contacts: vectorContacts,
};
/** The data of a schema-2 or schema-3 vector (schema 2: former keys, blocked; 3: labels too). */
function dataOf(v: typeof vector2 | typeof vector3): BackupData {
  return {
    exportedAt: v.now,
    identity: identityFromSeed(hex(v.seed)),
    name: v.name,
    contacts: v.contacts.map((c) => ({
      ...c,
      publicKey: hex(c.publicKey),
      contactSecret: hex(c.contactSecret),
      formerKeys: c.formerKeys.map(hex),
    })),
  };
}
/** The schema-3 vector: what export writes now. */
const vector3Data = dataOf(vector3);

async function make(
  data: Omit<BackupData, 'exportedAt'> = vectorData,
  passphrase = PASS,
  cost = TINY,
): Promise<Uint8Array> {
  const r = await exportBackup(data, passphrase, { random, now: 1_800_000_000_000, cost });
  if (!r.ok) throw new Error(r.message);
  return r.bytes;
}
function expectFailure(r: ImportBackupResult, code: string): void {
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.code, r.message).toBe(code);
}
/**
 * An independent sealer: derives the keys with node:crypto (scrypt, HKDF) and seals any
 * plaintext under a hand-built header, so tests can make files the exporter never would.
 */
function seal(
  plaintext: Uint8Array | string,
  passphrase = PASS,
  header: Partial<{ version: number; kdf: number; log2N: number; r: number; p: number }> = {},
): Uint8Array {
  const h = { version: 1, kdf: 1, log2N: 4, r: 8, p: 1, ...header };
  const salt = random(16);
  const nonce = random(24);
  const master = scryptSync(passphrase.normalize('NFKC'), salt, 32, { N: 2 ** h.log2N, r: h.r, p: h.p });
  const key = new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), 'parley/backup/key/1', 32));
  const check = new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), 'parley/backup/check/1', 16));
  const head = Uint8Array.from([
    ...Buffer.from('PARLEYBK'),
    h.version,
    h.kdf,
    h.log2N,
    h.r,
    h.p,
    ...salt,
    ...nonce,
    ...check,
  ]);
  const body = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  return Uint8Array.from([...head, ...xchacha20poly1305(key, nonce, head).encrypt(body)]);
}
/** The canonical payload of the vector, written out by hand. */
function vectorJson(): string {
  const c = vector.contacts.map(
    (x) =>
      `{"publicKey":"${b64u(hex(x.publicKey))}","name":${JSON.stringify(x.name)},"contactSecret":"${b64u(hex(x.contactSecret))}","verified":${x.verified},"addedAt":${x.addedAt}}`,
  );
  const sk = b64u(identityFromSeed(hex(vector.seed)).secretKey);
  return `{"schema":1,"exportedAt":${vector.now},"identity":{"secretKey":"${sk}"},"name":"Grace","contacts":[${c.join(',')}]}`;
}

const arbName = fc.constantFrom('', 'Bob', 'Zoë ✓', 'Ada Lovelace 🧮', 'x'.repeat(64));
const arbContact: fc.Arbitrary<BackupContact> = fc
  .record({
    seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    name: arbName,
    contactSecret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    verified: fc.boolean(),
    addedAt: fc.maxSafeNat(),
    former: fc.uniqueArray(fc.integer({ min: 1, max: 250 }), { maxLength: 3 }),
    blocked: fc.boolean(),
    label: fc.constantFrom('', 'Mum', 'Zoë from work ✓', '🧮'.repeat(16)),
  })
  .map(({ seed, former, ...c }) => ({
    ...c,
    publicKey: identityFromSeed(seed).publicKey,
    // Seeds of one repeated byte: never equal to a random seed's key in practice.
    formerKeys: former.map((b) => identityFromSeed(new Uint8Array(32).fill(b)).publicKey),
  }));
const arbData = fc
  .record({
    seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    name: arbName,
    contacts: fc.uniqueArray(arbContact, { maxLength: 4, selector: (c) => toHex(c.publicKey) }),
  })
  .map(({ seed, name, contacts }) => ({ identity: identityFromSeed(seed), name, contacts }));

describe('backup: known answers (test/vectors/parley-backup-v3.json, schema 3; -v2, schema 2; parley-backup.json, schema 1)', () => {
  it('export of the schema-3 vector inputs gives exactly the vector bytes, and imports back', async () => {
    const queue = [hex(vector3.salt), hex(vector3.nonce)];
    const r = await exportBackup(vector3Data, vector3.passphrase, {
      random: () => queue.shift()!,
      now: vector3.now,
      cost: vector3.cost,
    });
    expect(r.ok && toHex(r.bytes)).toBe(vector3.file);
    const back = await importBackup(hex(vector3.file), vector3.passphraseNfkc);
    expect(back).toEqual({ ok: true, data: vector3Data });
    expect(back.ok && back.data.contacts.map((c) => c.label)).toEqual(['Countess (math club) ✓', '']);
  });

  it('a schema-2 backup (before labels) still imports, with no label', async () => {
    const r = await importBackup(hex(vector2.file), vector2.passphrase);
    expect(r).toEqual({ ok: true, data: dataOf(vector2) });
    expect(r.ok && r.data.contacts.map((c) => 'label' in c)).toEqual([false, false]);
    expect(r.ok && r.data.contacts.map((c) => c.blocked)).toEqual([false, true]);
  });

  it('a schema-1 backup (before former keys and blocking) still imports, with neither field', async () => {
    for (const p of [vector.passphrase, vector.passphraseNfkc]) {
      const r = await importBackup(hex(vector.file), p);
      expect(r).toEqual({ ok: true, data: vectorData });
    }
  });

  it('has the documented layout, cross-checked with node:crypto (scrypt, HKDF) and a hand-written payload', () => {
    const file = hex(vector.file);
    expect(Buffer.from(file.subarray(0, 8)).toString('latin1')).toBe('PARLEYBK');
    expect([...file.subarray(8, 13)]).toEqual([1, 1, 10, 8, 1]);
    expect(toHex(file.subarray(13, 29))).toBe(vector.salt);
    expect(toHex(file.subarray(29, 53))).toBe(vector.nonce);
    const master = scryptSync(vector.passphraseNfkc, hex(vector.salt), 32, { N: 1024, r: 8, p: 1 });
    const check = Buffer.from(hkdfSync('sha256', master, new Uint8Array(0), 'parley/backup/check/1', 16));
    expect(toHex(file.subarray(53, 69))).toBe(check.toString('hex'));
    const key = new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), 'parley/backup/key/1', 32));
    const plain = xchacha20poly1305(key, hex(vector.nonce), file.subarray(0, 69)).decrypt(file.subarray(69));
    expect(new TextDecoder().decode(plain)).toBe(vectorJson());
    expect(BACKUP_HEADER_BYTES).toBe(69);
  });
});

describe('backup: round trip and passphrases', () => {
  it('round-trips any identity, name and contacts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(arbData, async (data) => {
        const r = await importBackup(await make(data), PASS);
        expect(r).toEqual({ ok: true, data: { ...data, exportedAt: 1_800_000_000_000 } });
      }),
      { numRuns: 40 },
    );
  });

  it('a wrong passphrase is BACKUP_WRONG_PASSPHRASE (property), and nothing is returned', async () => {
    const file = await make();
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), async (p) => {
        fc.pre(p.normalize('NFKC') !== PASS);
        expectFailure(await importBackup(file, p), 'BACKUP_WRONG_PASSPHRASE');
      }),
      { numRuns: 60 },
    );
    expectFailure(await importBackup(file, PASS.toUpperCase()), 'BACKUP_WRONG_PASSPHRASE');
    expectFailure(await importBackup(file, PASS + ' '), 'BACKUP_WRONG_PASSPHRASE');
  });

  it('any strong Unicode passphrase round-trips, whichever normalization form it is typed in (property)', async () => {
    const file0 = await make();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 10, maxLength: 24 }), async (p) => {
        const chars = Array.from(p.normalize('NFKC'));
        fc.pre(chars.length >= 10 && new Set(chars).size >= 5);
        const file = await make(vectorData, p);
        for (const typed of [p, p.normalize('NFC'), p.normalize('NFD'), p.normalize('NFKD')])
          expect((await importBackup(file, typed)).ok).toBe(true);
        expectFailure(await importBackup(file0, p), 'BACKUP_WRONG_PASSPHRASE');
      }),
      { numRuns: 40 },
    );
  });

  it('refuses weak passphrases on export, counting code points after NFKC', async () => {
    for (const p of ['', 'short', '123456789', 'aaaaaaaaaaaaaaaa', 'abababababab', 'ﬁﬁﬁﬁﬁ']) {
      const r = await exportBackup(vectorData, p, { random, now: 1, cost: TINY });
      expect(r).toMatchObject({ ok: false, code: 'BACKUP_WEAK_PASSPHRASE', side: 'local' });
    }
    expect((await exportBackup(vectorData, '🦊🐙🦉🐝🦋🐢🦀🐬🦔🐧', { random, now: 1, cost: TINY })).ok).toBe(true);
  });

  it('reports KDF progress from 0 to 1, on export and on import', async () => {
    for (const run of [
      (onProgress: (f: number) => void) =>
        exportBackup(vectorData, PASS, { random, now: 1, cost: { log2N: 10, r: 8, p: 1 }, onProgress }),
      (onProgress: (f: number) => void) => importBackup(hex(vector.file), vector.passphrase, { onProgress }),
    ]) {
      const seen: number[] = [];
      expect((await run((f) => seen.push(f))).ok).toBe(true);
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1]!))).toBe(true);
      expect(seen.at(-1)).toBe(1);
    }
  });

  it('throws on programmer mistakes at export, naming the field', async () => {
    const other = identityFromSeed(new Uint8Array(32).fill(9));
    const opts = { random, now: 1, cost: TINY };
    const c = vectorContacts[0]!;
    await expect(
      exportBackup({ ...vectorData, identity: { ...vectorData.identity, publicKey: other.publicKey } }, PASS, opts),
    ).rejects.toThrow(/identity/);
    await expect(exportBackup({ ...vectorData, contacts: [c, { ...c }] }, PASS, opts)).rejects.toThrow(
      /contacts\[1\]\.publicKey/,
    );
    await expect(
      exportBackup({ ...vectorData, contacts: [{ ...c, publicKey: new Uint8Array(32) }] }, PASS, opts),
    ).rejects.toThrow(/contacts\[0\]\.publicKey/);
    await expect(
      exportBackup({ ...vectorData, contacts: [{ ...c, contactSecret: new Uint8Array(31) }] }, PASS, opts),
    ).rejects.toThrow(/contactSecret/);
    await expect(exportBackup({ ...vectorData, contacts: [{ ...c, name: ' padded ' }] }, PASS, opts)).rejects.toThrow(
      /contacts\[0\]\.name/,
    );
    await expect(exportBackup({ ...vectorData, contacts: [{ ...c, addedAt: -1 }] }, PASS, opts)).rejects.toThrow(
      /addedAt/,
    );
    await expect(exportBackup(vectorData, PASS, { ...opts, cost: { log2N: 21, r: 8, p: 1 } })).rejects.toThrow(
      /opts\.cost/,
    );
    await expect(exportBackup(vectorData, PASS, { ...opts, cost: { log2N: 18, r: 8, p: 3 } })).rejects.toThrow(
      /opts\.cost/,
    );
    await expect(exportBackup(vectorData, PASS, { ...opts, now: -5 })).rejects.toThrow(/opts\.now/);
  });
});

describe('backup: the tamperer and the damaged file', () => {
  it('every single flipped bit of a file is a typed failure, never an exception (exhaustive)', async () => {
    const file = await make();
    const codes = new Map<string, number>();
    for (let bit = 0; bit < file.length * 8; bit++) {
      const bad = file.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const r = await importBackup(bad, PASS);
      expect(r.ok, `bit ${bit}`).toBe(false);
      if (!r.ok) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
    }
    expect([...codes.keys()].sort()).toEqual([...CODES].sort());
    // Past the header nothing but the tag can notice: the ciphertext bits all read as tampering.
    expect(codes.get('BACKUP_TAMPERED')).toBeGreaterThanOrEqual((file.length - 53) * 8 - 16 * 8);
  }, 60_000);

  it('a flipped bit is a typed failure for any backup contents (property)', async () => {
    await fc.assert(
      fc.asyncProperty(arbData, fc.nat(), async (data, pos) => {
        const file = await make(data);
        const bit = pos % (file.length * 8);
        file[bit >> 3]! ^= 1 << (bit & 7);
        const r = await importBackup(file, PASS);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(CODES).toContain(r.code);
      }),
      { numRuns: 100 },
    );
  });

  it('every truncation is BACKUP_MALFORMED or BACKUP_TAMPERED; extra bytes are BACKUP_TAMPERED', async () => {
    const file = await make();
    for (let n = 0; n < file.length; n++) {
      const r = await importBackup(file.subarray(0, n), PASS);
      expect(r.ok, `length ${n}`).toBe(false);
      if (!r.ok) expect(r.code).toBe(n < BACKUP_HEADER_BYTES + 16 ? 'BACKUP_MALFORMED' : 'BACKUP_TAMPERED');
    }
    expectFailure(await importBackup(Uint8Array.from([...file, 0]), PASS), 'BACKUP_TAMPERED');
  });

  it('refuses another file, a newer version or KDF, and hostile KDF costs before deriving', async () => {
    expectFailure(await importBackup(new Uint8Array(0), PASS), 'BACKUP_MALFORMED');
    expectFailure(await importBackup(new TextEncoder().encode('{"schema":1}'), PASS), 'BACKUP_MALFORMED');
    expectFailure(await importBackup(seal('{}', PASS, { version: 2 }), PASS), 'BACKUP_VERSION');
    expectFailure(await importBackup(seal('{}', PASS, { kdf: 2 }), PASS), 'BACKUP_VERSION');
    const file = await make();
    // 2^30 blocks of 1 KiB would be 1 TiB: refused from the header alone, so this returns at once.
    for (const [i, v] of [
      [10, 30],
      [10, 0],
      [11, 0],
      [12, 0],
      [11, 255],
      [12, 200],
      [10, 20],
    ] as const) {
      const bad = file.slice();
      bad[i] = v;
      const r = await importBackup(bad, PASS);
      expect(r).toMatchObject({ ok: false, code: 'BACKUP_MALFORMED', step: 'import: kdf parameters' });
    }
  });

  it('a file sealed with the right passphrase but invalid contents is refused, naming the field', async () => {
    const good = vectorJson();
    const cases: [string, string, string][] = [
      ['not json', 'BACKUP_MALFORMED', 'import: payload'],
      [good.replace('"schema":1', '"schema":4'), 'BACKUP_VERSION', 'import: schema'],
      // Schema 2 needs both new fields on every contact; schema 1 allows neither.
      [good.replace('"schema":1', '"schema":2'), 'BACKUP_MALFORMED', 'import: contacts[0].formerKeys'],
      [
        good.replace('"addedAt":1799000000000', '"addedAt":1799000000000,"formerKeys":[],"blocked":false'),
        'BACKUP_MALFORMED',
        'import: payload',
      ],
      [good.replace('{"schema":1,', '{"schema":1, '), 'BACKUP_MALFORMED', 'import: payload'],
      [good.replace('"name":"Grace"', '"name":"Grace","extra":1'), 'BACKUP_MALFORMED', 'import: payload'],
      [good.replace('"verified":true', '"verified":"yes"'), 'BACKUP_MALFORMED', 'import: contacts[0].verified'],
      [good.replace(/"addedAt":1799000000000/, '"addedAt":1.5'), 'BACKUP_MALFORMED', 'import: contacts[0].addedAt'],
      [
        good.replace(
          `"publicKey":"${b64u(vectorContacts[1]!.publicKey)}"`,
          `"publicKey":"${b64u(vectorContacts[0]!.publicKey)}"`,
        ),
        'BACKUP_MALFORMED',
        'import: contacts[1].publicKey',
      ],
      [
        good.replace(
          `"publicKey":"${b64u(vectorContacts[0]!.publicKey)}"`,
          `"publicKey":"${b64u(new Uint8Array(32))}"`,
        ),
        'BACKUP_MALFORMED',
        'import: contacts[0].publicKey',
      ],
      [good.replace('"name":"Grace"', '"name":"\\u0007"'), 'BACKUP_MALFORMED', 'import: name'],
      [
        good.replace(/"secretKey":"[^"]*"/, `"secretKey":"${b64u(new Uint8Array(64))}"`),
        'BACKUP_MALFORMED',
        'import: identity.secretKey',
      ],
    ];
    expect((await importBackup(seal(good), PASS)).ok).toBe(true);
    for (const [json, code, step] of cases) {
      const r = await importBackup(seal(json), PASS);
      expect(r, json).toMatchObject({ ok: false, code, step });
    }
    expect(await importBackup(seal(Uint8Array.of(0xff, 0xfe)), PASS)).toMatchObject({
      ok: false,
      code: 'BACKUP_MALFORMED',
    });
  });
});

describe('backup: schema 2 (former keys and blocked contacts)', () => {
  const json = (formerKeys: string, blocked = 'false') =>
    vectorJson()
      .replace('"schema":1', '"schema":2')
      .replaceAll(/"addedAt":(\d+)\}/g, `"addedAt":$1,"formerKeys":${formerKeys},"blocked":${blocked}}`);
  const k = (n: number) => b64u(identityFromSeed(new Uint8Array(32).fill(n)).publicKey);

  it('reads former keys and the blocked mark, and refuses bad ones naming the field', async () => {
    const ok = await importBackup(seal(json(`["${k(7)}"]`, 'true')), PASS);
    expect(ok.ok && ok.data.contacts.map((c) => [c.formerKeys?.length, c.blocked])).toEqual([
      [1, true],
      [1, true],
    ]);
    const cases: [string, string][] = [
      [json(`["${b64u(new Uint8Array(32))}"]`), 'import: contacts[0].formerKeys[0]'],
      [json(`["${k(7)}","${k(7)}"]`), 'import: contacts[0].formerKeys[1]'],
      [json(`["${b64u(vectorContacts[0]!.publicKey)}"]`), 'import: contacts[0].formerKeys[0]'],
      [json(`[${Array.from({ length: 33 }, (_, i) => `"${k(i + 1)}"`).join(',')}]`), 'import: contacts[0].formerKeys'],
      [json('[]', '"yes"'), 'import: contacts[0].blocked'],
      [json('"none"'), 'import: contacts[0].formerKeys'],
    ];
    for (const [text, step] of cases)
      expect(await importBackup(seal(text), PASS), text).toMatchObject({ ok: false, code: 'BACKUP_MALFORMED', step });
  });
});

describe("backup: schema 3 (the person's labels for contacts)", () => {
  const json = (label: string, schema = 3) =>
    vectorJson()
      .replace('"schema":1', `"schema":${schema}`)
      .replaceAll(
        /"addedAt":(\d+)\}/g,
        `"addedAt":$1,"formerKeys":[],"blocked":false,"label":${JSON.stringify(label)}}`,
      );

  it('reads labels, and refuses a missing, unclean or too long one naming the field', async () => {
    const ok = await importBackup(seal(json('Mum')), PASS);
    expect(ok.ok && ok.data.contacts.map((c) => [c.name, c.label])).toEqual([
      ['Ada Lovelace 🧮', 'Mum'],
      ['', 'Mum'],
    ]);
    const missing = vectorJson()
      .replace('"schema":1', '"schema":3')
      .replaceAll(/"addedAt":(\d+)\}/g, '"addedAt":$1,"formerKeys":[],"blocked":false}');
    const cases: [string, string][] = [
      [missing, 'import: contacts'],
      [json('Mum', 2), 'import: payload'], // a label in schema 2: not canonical
      [json('Ali\u202Ece'), 'import: contacts[0].label'], // a right-to-left override
      [json('Ali\u200Bce'), 'import: contacts[0].label'], // a zero-width space
      [json(' Mum'), 'import: contacts[0].label'],
      [json('x'.repeat(65)), 'import: contacts[0].label'],
    ];
    for (const [text, step] of cases)
      expect(await importBackup(seal(text), PASS), text).toMatchObject({ ok: false, code: 'BACKUP_MALFORMED', step });
  });

  it('export refuses an unclean label as a programmer mistake, naming the field', async () => {
    const c = { ...vector3Data.contacts[0]!, label: 'Mum\u202E' };
    await expect(exportBackup({ ...vector3Data, contacts: [c] }, PASS, { random, now: 1, cost: TINY })).rejects.toThrow(
      'backup contacts[0].label',
    );
  });
});
