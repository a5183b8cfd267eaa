// Copies the browser libraries the web clients use from node_modules (pinned by
// package-lock.json) into web/vendor/, which the server embeds. With --check it changes nothing
// and fails if the committed copies differ from what the lockfile installs, so that the files
// served are always the ones the lockfile names.
//
// Why these libraries:
// - uqr (unjs): a QR code encoder in one dependency-free ES module of about 27 KB, MIT,
//   maintained by the unjs organisation; it returns the module matrix, which we draw on a canvas.
// - jsbarcode: the most used Code 128 generator on npm, MIT; its single-format build
//   (dist/barcodes/JsBarcode.code128.min.js, about 28 KB) draws on a canvas with no dependencies.
//   It is a classic script that defines `window.JsBarcode`, so pages load it with a plain
//   <script src> before their modules.
// - @zxing/library: the JavaScript port of ZXing, Apache-2.0, the most used barcode reader on
//   npm; the till decodes QR and Code 128 camera frames with it where the browser has no
//   `BarcodeDetector` (Chromium on Linux, Firefox). It is plain JavaScript: the WebAssembly
//   readers (zxing-wasm, barcode-detector) would need `'wasm-unsafe-eval'` in the
//   Content-Security-Policy. Its UMD build is a classic script that defines `window.ZXing`; the
//   till loads it only when the camera is opened.
import { copyFileSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each vendored file: where npm puts it, and its name under web/vendor/. */
const FILES = [
  { from: 'node_modules/uqr/dist/index.mjs', to: 'vendor/uqr.mjs' },
  { from: 'node_modules/uqr/dist/index.d.mts', to: 'vendor/uqr.d.mts' },
  { from: 'node_modules/uqr/LICENSE', to: 'vendor/uqr.LICENSE' },
  { from: 'node_modules/jsbarcode/dist/barcodes/JsBarcode.code128.min.js', to: 'vendor/jsbarcode.code128.min.js' },
  { from: 'node_modules/jsbarcode/MIT-LICENSE.txt', to: 'vendor/jsbarcode.LICENSE' },
  { from: 'node_modules/@zxing/library/umd/index.min.js', to: 'vendor/zxing.min.js' },
  { from: 'node_modules/@zxing/library/LICENSE', to: 'vendor/zxing.LICENSE' },
];

const check = process.argv.includes('--check');
let differences = 0;
for (const { from, to } of FILES) {
  const source = join(web, from);
  const target = join(web, to);
  if (!existsSync(source)) {
    console.error(`missing ${from}: run \`npm ci\` in web/ first`);
    process.exit(2);
  }
  if (check) {
    if (!existsSync(target) || !readFileSync(source).equals(readFileSync(target))) {
      console.error(`web/${to} differs from ${from}; run \`npm run vendor\` in web/`);
      differences++;
    }
  } else {
    copyFileSync(source, target);
    console.log(`web/${to} <- ${from}`);
  }
}
if (check) {
  if (differences > 0) {
    process.exit(1);
  }
  console.log(`vendored files match package-lock.json (${FILES.length} files)`);
}
