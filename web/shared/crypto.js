// Offline payment codes (SPEC 2.3) made in the browser with WebCrypto only.
//
// HOTP uses HMAC through `crypto.subtle.sign`. FF1 (NIST SP 800-38G, radix 10) needs the raw
// AES block function, which WebCrypto does not offer; AES-CBC with a zero IV gives it: the first
// block of CBC's output is exactly AES(key, block), and the CBC-MAC that FF1's PRF needs is the
// last block of a CBC encryption of the whole message. Keys are imported non-extractable, so
// script in the page can use them but never read them back; they live in IndexedDB as
// CryptoKey objects (see store.js).
//
// The file web/test/vectors.json, written by the Rust codec, checks every function here.

/** @typedef {'SHA1' | 'SHA256' | 'SHA512'} Algorithm */

/** Digits of the one-time password inside an offline code (`O`). */
export const OTP_DIGITS = 6;

/** Digits of the payload after the prefix. */
export const PAYLOAD_DIGITS = 16;

/** Codes a wallet may show per time step: the code index `N` is one digit. */
export const CODES_PER_STEP = 10;

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** @type {Record<Algorithm, string>} */
const WEBCRYPTO_HASH = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' };

/**
 * Decodes RFC 4648 Base32 as the server sends it (upper case, no padding); lower case, spaces
 * and padding are accepted too, as in SPEC section 1.
 * @param {string} text
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function base32Decode(text) {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const bytes = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (const character of clean) {
    const value = BASE32_ALPHABET.indexOf(character);
    if (value < 0) {
      throw new Error(`not a Base32 character: ${JSON.stringify(character)}`);
    }
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[written++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}

/**
 * Imports a device secret as a non-extractable HMAC key for HOTP.
 * @param {Uint8Array<ArrayBuffer>} secret
 * @param {Algorithm} algorithm
 * @returns {Promise<CryptoKey>}
 */
export async function importHotpKey(secret, algorithm) {
  const hash = WEBCRYPTO_HASH[algorithm];
  if (!hash) {
    throw new Error(`unknown HOTP algorithm: ${algorithm}`);
  }
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash }, false, ['sign']);
}

/**
 * Imports a 16-byte code key as a non-extractable AES-128 key for FF1.
 * @param {Uint8Array<ArrayBuffer>} codeKey
 * @returns {Promise<CryptoKey>}
 */
export async function importCodeKey(codeKey) {
  if (codeKey.length !== 16) {
    throw new Error(`a code key has 16 bytes, got ${codeKey.length}`);
  }
  return crypto.subtle.importKey('raw', codeKey, { name: 'AES-CBC' }, false, ['encrypt']);
}

/**
 * HOTP (RFC 4226) of `counter`, left-padded to `digits`.
 * @param {CryptoKey} key an HMAC key from importHotpKey
 * @param {bigint} counter 0 ≤ counter < 2^64
 * @param {number} [digits]
 * @returns {Promise<string>}
 */
export async function hotp(key, counter, digits = OTP_DIGITS) {
  if (counter < 0n || counter >= 1n << 64n) {
    throw new Error('a HOTP counter has 64 bits');
  }
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, counter);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  // Dynamic truncation: the offset is the low four bits of the last byte of the MAC.
  const offset = mac[mac.length - 1] & 0x0f;
  const truncated = new DataView(mac.buffer).getUint32(offset) & 0x7fffffff;
  return String(truncated % 10 ** digits).padStart(digits, '0');
}

/**
 * CBC-MAC with a zero IV over whole blocks: the last ciphertext block before WebCrypto's
 * padding block. For one block this is the AES block function itself.
 * @param {CryptoKey} key
 * @param {Uint8Array<ArrayBuffer>} message a multiple of 16 bytes
 * @returns {Promise<Uint8Array<ArrayBuffer>>}
 */
async function cbcMac(key, message) {
  const iv = new Uint8Array(16);
  const output = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, message));
  return output.slice(message.length - 16, message.length);
}

/**
 * The big-endian bytes of `value` in exactly `length` bytes.
 * @param {bigint} value
 * @param {number} length
 */
function bytesOf(value, length) {
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let position = length - 1; position >= 0; position--) {
    bytes[position] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** @param {Uint8Array} bytes */
function numberOf(bytes) {
  let value = 0n;
  for (const byte of bytes) {
    value = (value << 8n) | BigInt(byte);
  }
  return value;
}

/**
 * FF1 encryption (NIST SP 800-38G, Algorithm 7) with radix 10.
 * @param {CryptoKey} key an AES key from importCodeKey
 * @param {Uint8Array} tweak
 * @param {string} digits the numeral string, 2 to 56 decimal digits
 * @returns {Promise<string>}
 */
export async function ff1Encrypt(key, tweak, digits) {
  if (!/^[0-9]{2,56}$/.test(digits)) {
    throw new Error('FF1 here takes 2 to 56 decimal digits');
  }
  const length = digits.length;
  const firstLength = Math.floor(length / 2);
  const secondLength = length - firstLength;
  // b: the bytes of the largest value of the second half; d: the PRF output bytes used.
  const numeralBytes = Math.ceil((10n ** BigInt(secondLength) - 1n).toString(2).length / 8);
  const outputBytes = 4 * Math.ceil(numeralBytes / 4) + 4;
  const padding = (((-tweak.length - numeralBytes - 1) % 16) + 16) % 16;

  const message = new Uint8Array(16 + tweak.length + padding + 1 + numeralBytes);
  message.set([1, 2, 1, 0, 0, 10, 10, firstLength % 256]);
  message.set(bytesOf(BigInt(length), 4), 8);
  message.set(bytesOf(BigInt(tweak.length), 4), 12);
  message.set(tweak, 16);
  const roundPosition = 16 + tweak.length + padding;

  let first = BigInt(digits.slice(0, firstLength));
  let second = BigInt(digits.slice(firstLength));
  for (let round = 0; round < 10; round++) {
    message[roundPosition] = round;
    message.set(bytesOf(second, numeralBytes), roundPosition + 1);
    const prf = await cbcMac(key, message);
    const stream = new Uint8Array(Math.ceil(outputBytes / 16) * 16);
    stream.set(prf);
    for (let block = 1; block * 16 < outputBytes; block++) {
      const counterBlock = prf.map((byte, position) => (position === 15 ? byte ^ block : byte));
      stream.set(await cbcMac(key, counterBlock), block * 16);
    }
    const y = numberOf(stream.subarray(0, outputBytes));
    const width = round % 2 === 0 ? firstLength : secondLength;
    const next = (first + y) % 10n ** BigInt(width);
    first = second;
    second = next;
  }
  // After an even number of rounds the halves have their original widths again.
  return first.toString().padStart(firstLength, '0') + second.toString().padStart(secondLength, '0');
}

/**
 * The time step `floor(unixSeconds / periodSeconds)`.
 * @param {number} unixSeconds
 * @param {number} periodSeconds
 */
export function timeStep(unixSeconds, periodSeconds) {
  return Math.floor(unixSeconds / periodSeconds);
}

/**
 * The offline code of SPEC 2.3: `P || FF1(K_code, ASCII(P), D || N || O)`.
 * @param {{hotpKey: CryptoKey, codeKey: CryptoKey, prefix: string, slot: number, index: number, step: number}} input
 * @returns {Promise<string>} 18 digits
 */
export async function offlineCode({ hotpKey, codeKey, prefix, slot, index, step }) {
  if (!/^[0-9]{2}$/.test(prefix)) {
    throw new Error('a prefix has two digits');
  }
  if (!Number.isInteger(slot) || slot < 1 || slot > 999_999_999) {
    throw new Error('a device slot is 1 to 999999999');
  }
  if (!Number.isInteger(index) || index < 0 || index >= CODES_PER_STEP) {
    throw new Error('a code index is 0 to 9');
  }
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new Error('a time step is a whole number of periods since 1970');
  }
  const counter = (BigInt(index) << 56n) | BigInt(step);
  const otp = await hotp(hotpKey, counter);
  const message = String(slot).padStart(9, '0') + String(index) + otp;
  const tweak = new TextEncoder().encode(prefix);
  return prefix + (await ff1Encrypt(codeKey, tweak, message));
}
