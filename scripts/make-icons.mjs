// Draws Parley's app icons (docs/pwa.md "Icons"): the header's ◆ in white on the accent blue,
// as plain PNGs written with node's zlib, so no image tool or binary dependency is needed.
// Run `node scripts/make-icons.mjs` after changing the drawing; the PNGs are committed.
import { deflateSync, crc32 } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ACCENT = [0x2f, 0x5b, 0xd3];
const WHITE = [0xff, 0xff, 0xff];

/** One PNG chunk: length, type, data, CRC over type and data. */
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A `size`² RGB icon: the accent colour, and a diamond whose half-diagonal is `diamond` of the
 * size. `rounded` clips the square to rounded corners (transparent outside) for the plain icons;
 * a maskable icon is full bleed, and its diamond stays inside the central 80 % safe circle.
 */
function icon(size, diamond, rounded) {
  const c = (size - 1) / 2;
  const r = diamond * size;
  const corner = rounded ? size * 0.18 : 0;
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++) {
      const inDiamond = Math.abs(x - c) + Math.abs(y - c) <= r;
      const [cr, cg, cb] = inDiamond ? WHITE : ACCENT;
      const dx = Math.max(corner - x, x - (size - 1 - corner), 0);
      const dy = Math.max(corner - y, y - (size - 1 - corner), 0);
      const alpha = corner > 0 && dx * dx + dy * dy > corner * corner ? 0 : 255;
      row.set([cr, cg, cb, alpha], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const dir = join(new URL('..', import.meta.url).pathname, 'public', 'icons');
mkdirSync(dir, { recursive: true });
const icons = {
  'icon-192.png': icon(192, 0.3, true),
  'icon-512.png': icon(512, 0.3, true),
  'maskable-512.png': icon(512, 0.24, false),
  'apple-touch-icon.png': icon(180, 0.3, false),
};
for (const [name, png] of Object.entries(icons)) {
  writeFileSync(join(dir, name), png);
  console.log(`${name}: ${png.length} bytes`);
}
