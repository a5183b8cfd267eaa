// Draws a payment code as a QR code and as a Code 128 barcode on canvases, with the vendored
// encoders (see scripts/vendor.mjs for why these).
import { encode } from '../vendor/uqr.mjs';

/** Pixels per QR module before the canvas is scaled down by CSS; crisp on dense screens. */
const QR_MODULE_PIXELS = 8;

/** The quiet zone around a QR code, in modules, as ISO/IEC 18004 asks. */
const QR_QUIET_MODULES = 4;

/**
 * Draws `text` as a QR code (error correction M) on `canvas`.
 * @param {HTMLCanvasElement} canvas
 * @param {string} text
 */
export function drawQrCode(canvas, text) {
  const qr = encode(text, { ecc: 'M', border: QR_QUIET_MODULES });
  const side = qr.size * QR_MODULE_PIXELS;
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext('2d');
  if (!context) {
    throw new Error('this browser cannot draw on a canvas');
  }
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, side, side);
  context.fillStyle = '#000000';
  qr.data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) {
        context.fillRect(x * QR_MODULE_PIXELS, y * QR_MODULE_PIXELS, QR_MODULE_PIXELS, QR_MODULE_PIXELS);
      }
    });
  });
}

/**
 * Draws `digits` (an even number of them) as a Code 128 barcode in code set C, which packs two
 * digits per symbol: the shortest barcode for an all-digit payment code.
 * @param {HTMLCanvasElement} canvas
 * @param {string} digits
 */
export function drawCode128(canvas, digits) {
  if (typeof JsBarcode !== 'function') {
    throw new Error('the Code 128 library did not load');
  }
  JsBarcode(canvas, digits, {
    format: 'CODE128C',
    width: 3,
    height: 100,
    margin: 20,
    displayValue: false,
    background: '#ffffff',
    lineColor: '#000000',
  });
}

/**
 * The 18 digits in groups people can read out: "81 2345 6789 0123 4567".
 * @param {string} code
 */
export function groupDigits(code) {
  return `${code.slice(0, 2)} ${code.slice(2).replace(/(\d{4})(?=\d)/g, '$1 ')}`;
}
