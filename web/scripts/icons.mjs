// Draws the wallet's app icons (web/wallet/icons/icon-<size>.png): a green square, safe for
// masking, with a white payment-code mark (three QR finder squares and bars) in its middle.
// Run with `node scripts/icons.mjs`; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const GREEN = [0x0b, 0x7a, 0x4b];
const WHITE = [0xff, 0xff, 0xff];

/** @param {Buffer} bytes */
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * @param {string} type
 * @param {Buffer} data
 */
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * Whether the pixel at (x, y), in units of 1/32 of the icon, is white.
 * @param {number} x
 * @param {number} y
 */
function isWhite(x, y) {
  // The mark fills the middle 16/32 (the safe zone of a maskable icon is the middle 80%).
  /** @param {number} left @param {number} top */
  const finder = (left, top) => {
    const inside = x >= left && x < left + 5 && y >= top && y < top + 5;
    const ring = inside && !(x >= left + 1 && x < left + 4 && y >= top + 1 && y < top + 4);
    const core = x >= left + 2 && x < left + 3 && y >= top + 2 && y < top + 3;
    return ring || core;
  };
  if (finder(8, 8) || finder(19, 8) || finder(8, 19)) {
    return true;
  }
  // Bars in the lower right, like a barcode.
  return y >= 19 && y < 24 && x >= 19 && x < 24 && [19, 21, 22].includes(x);
}

/** @param {number} size */
function icon(size) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const colour = isWhite(Math.floor((x * 32) / size), Math.floor((y * 32) / size)) ? WHITE : GREEN;
      row.set(colour, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const size of [192, 512]) {
  writeFileSync(new URL(`../wallet/icons/icon-${size}.png`, import.meta.url), icon(size));
}
