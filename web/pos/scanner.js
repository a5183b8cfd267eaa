// The camera as a barcode scanner: the video of `getUserMedia`, read a few times a second by the
// browser's `BarcodeDetector` where it has one for QR codes, else by the vendored ZXing (a
// classic script, loaded the first time the camera opens, so tills that only use a USB scanner
// never download it). Only what the decoder reads is returned; the caller decides whether it is
// a payment code.

/** How often a frame is decoded; a code held up to the camera is read well within a second. */
export const SCAN_INTERVAL_MILLISECONDS = 200;

/** Frames wider than this are scaled down before decoding, which keeps one decode short. */
export const MAX_DECODE_WIDTH = 800;

/** The vendored decoder, relative to the page. */
const ZXING_SCRIPT = '../vendor/zxing.min.js';

/**
 * Luminance (0 dark to 255 light) of RGBA pixels, with the weights of ITU-R BT.601 in integer
 * arithmetic; transparent pixels count as white, like paper behind a code.
 * @param {Uint8ClampedArray} rgba
 * @param {number} width
 * @param {number} height
 */
export function luminance(rgba, width, height) {
  const gray = new Uint8ClampedArray(width * height);
  for (let pixel = 0, byte = 0; pixel < gray.length; pixel++, byte += 4) {
    gray[pixel] = rgba[byte + 3] === 0 ? 255 : (306 * rgba[byte] + 601 * rgba[byte + 1] + 117 * rgba[byte + 2] + 512) >> 10;
  }
  return gray;
}

/**
 * A ZXing reader for QR codes and Code 128, trying hard (a camera picture is never clean).
 * @param {any} zxing the library's namespace (`window.ZXing`, or the module in tests)
 * @returns {(gray: Uint8ClampedArray, width: number, height: number) => string | null}
 */
export function zxingDecoder(zxing) {
  const reader = new zxing.MultiFormatReader();
  const hints = new Map();
  hints.set(zxing.DecodeHintType.POSSIBLE_FORMATS, [zxing.BarcodeFormat.QR_CODE, zxing.BarcodeFormat.CODE_128]);
  hints.set(zxing.DecodeHintType.TRY_HARDER, true);
  reader.setHints(hints);
  return (gray, width, height) => {
    const bitmap = new zxing.BinaryBitmap(new zxing.HybridBinarizer(new zxing.RGBLuminanceSource(gray, width, height)));
    try {
      return reader.decodeWithState(bitmap).getText();
    } catch {
      // Nothing found in this frame (NotFoundException and its kin): try the next one.
      return null;
    } finally {
      reader.reset();
    }
  };
}

/** @returns {Promise<any>} `window.ZXing`, loading the script the first time */
function loadZxing() {
  const loaded = /** @type {any} */ (globalThis).ZXing;
  if (loaded) {
    return Promise.resolve(loaded);
  }
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = ZXING_SCRIPT;
    script.onload = () => resolve(/** @type {any} */ (globalThis).ZXing);
    script.onerror = () => reject(new Error('the barcode decoder did not load'));
    document.head.append(script);
  });
}

/**
 * The decoder this browser has: its own `BarcodeDetector` when that reads QR codes, else ZXing.
 * @returns {Promise<{name: string, decode: (video: HTMLVideoElement, canvas: HTMLCanvasElement) => Promise<string[]>}>}
 */
async function chooseDecoder() {
  const Detector = /** @type {any} */ (globalThis).BarcodeDetector;
  if (Detector) {
    const formats = await Detector.getSupportedFormats().catch(() => []);
    if (formats.includes('qr_code')) {
      const detector = new Detector({ formats: ['qr_code', 'code_128'].filter((format) => formats.includes(format)) });
      return {
        name: 'BarcodeDetector',
        decode: async (video) => (await detector.detect(video)).map((/** @type {{rawValue: string}} */ found) => found.rawValue),
      };
    }
  }
  const decodeGray = zxingDecoder(await loadZxing());
  return {
    name: 'ZXing',
    decode: async (video, canvas) => {
      const scale = Math.min(1, MAX_DECODE_WIDTH / video.videoWidth);
      const width = Math.round(video.videoWidth * scale);
      const height = Math.round(video.videoHeight * scale);
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext('2d', { willReadFrequently: true });
      if (!context || width === 0 || height === 0) {
        return [];
      }
      context.drawImage(video, 0, 0, width, height);
      const text = decodeGray(luminance(context.getImageData(0, 0, width, height).data, width, height), width, height);
      return text === null ? [] : [text];
    },
  };
}

/**
 * Shows the camera in `video` and reads codes from it until stopped. `onText` gets each text
 * read (the same code is read many times while it is held up; the caller stops the camera once
 * it has what it wants).
 * @param {HTMLVideoElement} video
 * @param {(text: string) => void} onText
 * @returns {Promise<{decoder: string, stop: () => void}>} rejects when there is no camera or
 *   the person refused it
 */
export async function startCamera(video, onText) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('this browser has no camera access here (it needs HTTPS or localhost)');
  }
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) {
      track.stop();
    }
    video.srcObject = null;
  };
  try {
    video.srcObject = stream;
    await video.play();
    const decoder = await chooseDecoder();
    const canvas = document.createElement('canvas');
    const scan = async () => {
      if (stopped) {
        return;
      }
      if (video.readyState >= video.HAVE_CURRENT_DATA) {
        const texts = await decoder.decode(video, canvas).catch(() => []);
        for (const text of texts) {
          if (!stopped) {
            onText(text);
          }
        }
      }
      if (!stopped) {
        timer = setTimeout(scan, SCAN_INTERVAL_MILLISECONDS);
      }
    };
    scan();
    return { decoder: decoder.name, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
