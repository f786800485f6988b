/**
 * Backup KDF cost (docs/backup.md §3): time of importBackup (scrypt N = 2^17, r = 8, p = 1,
 * through @noble/hashes scryptAsync, then HKDF and XChaCha20-Poly1305) against node's native
 * scrypt with the same parameters, interleaved round by round. The design target is
 * 500–1000 ms for the whole import in a browser; `target` below is that upper bound in ms.
 */
import { scryptSync, randomBytes } from 'node:crypto';
import { DEFAULT_SCRYPT_COST, exportBackup, importBackup } from '../src/core/backup';
import { generateIdentity } from '../src/core/identity';

const ROUNDS = 5;
const random = (n: number) => new Uint8Array(randomBytes(n));
const passphrase = 'correct horse battery staple';
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { log2N, r, p } = DEFAULT_SCRYPT_COST;

const made = await exportBackup({ identity: generateIdentity(random), name: 'Bench', contacts: [] }, passphrase, {
  random,
  now: Date.now(),
});
if (!made.ok) throw new Error(made.message);
const parley: number[] = [];
const native: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  let t = performance.now();
  const res = await importBackup(made.bytes, passphrase);
  parley.push(performance.now() - t);
  if (!res.ok) throw new Error(res.message);
  t = performance.now();
  scryptSync(passphrase, random(16), 32, { N: 2 ** log2N, r, p, maxmem: 2 ** 28 });
  native.push(performance.now() - t);
}
const f = (x: number) => x.toFixed(0);
console.log(
  `backup-kdf: scrypt N=2^${log2N} r=${r} p=${p} (${(128 * r * 2 ** log2N) / 2 ** 20} MiB), ${ROUNDS} rounds, medians`,
);
console.log(
  `  importBackup (@noble/hashes scryptAsync + HKDF + XChaCha20-Poly1305): ${f(median(parley))} ms   [${parley.map(f).join(' ')}]`,
);
console.log(
  `  node:crypto scryptSync (OpenSSL, native):                            ${f(median(native))} ms   [${native.map(f).join(' ')}]`,
);
const value = median(parley),
  baseline = median(native);
console.log(
  JSON.stringify({
    bench: 'backup-kdf',
    value: Number(f(value)),
    unit: 'ms',
    baseline: Number(f(baseline)),
    ratio: Number((value / baseline).toFixed(3)),
    target: 1000,
  }),
);
