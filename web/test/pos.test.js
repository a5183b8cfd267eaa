// The till's pieces that need no browser: amounts read with the CLI's rules, references, codes
// as scanners type them, the retry timing, the countdown, the string table, the counter kept in
// storage, and the vendored decoder reading a QR code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext, runInThisContext } from 'node:vm';

import { ApiError, UNREACHABLE } from '../shared/api.js';
import { AmountError, MAX_AMOUNT_MINOR, parseMajorUnits } from '../shared/money.js';
import { outRefundNo, outTradeNo, paymentCodeFrom, REFERENCE_PATTERN, retryDelayMilliseconds, secondsLeft } from '../pos/references.js';
import { luminance, zxingDecoder } from '../pos/scanner.js';
import { amountRefusalText, refusalText, t, TABLES } from '../pos/strings.js';
import { outcomeUnknown, Till } from '../pos/till.js';
import { encode } from '../vendor/uqr.mjs';

/** The vendored decoder, run as the CommonJS module its UMD build also is. */
function loadZxing() {
  const source = readFileSync(new URL('../vendor/zxing.min.js', import.meta.url), 'utf8');
  const module = { exports: {} };
  runInThisContext(`(function (exports, module) {\n${source}\n})`)(module.exports, module);
  return module.exports;
}
const zxing = loadZxing();

test('typed amounts become exact minor units, as the CLI reads them', () => {
  const accepted = [
    ['12.50', 'CNY', 1250],
    ['12.5', 'CNY', 1250],
    ['3', 'CNY', 300],
    ['0.01', 'CNY', 1],
    ['0.29', 'CNY', 29],
    ['007', 'CNY', 700],
    ['88', 'JPY', 88],
    ['10000000000', 'CNY', MAX_AMOUNT_MINOR],
  ];
  for (const [text, currency, minor] of accepted) {
    assert.equal(parseMajorUnits(String(text), String(currency)), minor, String(text));
  }
});

test('bad amounts are refused with the CLI’s reasons, each with its message', () => {
  const refused = [
    ['12.505', 'decimals', 'An amount has at most 2 digits after the decimal point.'],
    ['1.5', 'decimals', 'An amount has at most 0 digits after the decimal point.', 'JPY'],
    ['-1', 'negative', 'An amount cannot be negative.'],
    ['abc', 'syntax', 'An amount is written as digits with at most one decimal point, such as 12.50.'],
    ['0', 'zero', 'An amount must be more than zero.'],
    ['0.00', 'zero'],
    ['', 'empty', 'Type an amount, such as 12.50.'],
    ['12.', 'syntax'],
    ['.5', 'syntax'],
    ['1e3', 'syntax'],
    ['1,000', 'syntax'],
    ['+1', 'syntax'],
    ['١٢', 'syntax'],
    ['10000000000.01', 'too_large', 'An amount is at most CN¥10,000,000,000.00.'],
    ['9'.repeat(40), 'too_large'],
  ];
  for (const [text, problem, message, currency = 'CNY'] of refused) {
    assert.throws(
      () => parseMajorUnits(/** @type {string} */ (text), currency),
      (/** @type {unknown} */ error) => {
        assert.ok(error instanceof AmountError);
        assert.equal(error.problem, problem, JSON.stringify(text));
        if (message) {
          assert.equal(amountRefusalText(error, currency), message);
        }
        return true;
      },
    );
  }
  assert.throws(() => amountRefusalText(new Error('a bug'), 'CNY'), /a bug/);
});

test('a reference is the terminal id, the UTC second and the counter, within the API’s rule', () => {
  const at = new Date(Date.UTC(2026, 11, 2, 8, 30, 15, 999));
  assert.equal(outTradeNo('till-1', at, 42), 'till-1-20261202083015-42');
  assert.equal(outRefundNo('till-1', at, 43), 'R-till-1-20261202083015-43');
  const longest = outRefundNo('x'.repeat(24), at, Number.MAX_SAFE_INTEGER);
  assert.ok(REFERENCE_PATTERN.test(longest), longest);
  assert.ok(longest.length <= 64);
  assert.throws(() => outTradeNo('till 1', at, 1), /terminal id/);
  assert.throws(() => outTradeNo('x'.repeat(25), at, 1), /terminal id/);
  assert.throws(() => outTradeNo('till-1', at, -1), /counter/);
  assert.throws(() => outTradeNo('till-1', at, 1.5), /counter/);
});

test('a code is 18 digits, with the wallet’s grouping spaces allowed', () => {
  assert.equal(paymentCodeFrom('812345678901234567'), '812345678901234567');
  assert.equal(paymentCodeFrom('81 2345 6789 0123 4567'), '812345678901234567');
  assert.equal(paymentCodeFrom('81234567890123456'), null);
  assert.equal(paymentCodeFrom('8123456789012345678'), null);
  assert.equal(paymentCodeFrom('81234567890123456x'), null);
  assert.equal(paymentCodeFrom('https://example.com/812345678901234567'), null);
});

test('retries double from one second up to ten', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map(retryDelayMilliseconds), [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
});

test('the countdown rounds up and stops at zero', () => {
  assert.equal(secondsLeft(10_000, 0), 10);
  assert.equal(secondsLeft(10_000, 1), 10);
  assert.equal(secondsLeft(10_000, 9_001), 1);
  assert.equal(secondsLeft(10_000, 10_000), 0);
  assert.equal(secondsLeft(10_000, 20_000), 0);
});

test('only a lost answer is asked again', () => {
  assert.ok(outcomeUnknown(new ApiError(UNREACHABLE, 'timeout', 0)));
  assert.ok(outcomeUnknown(new ApiError('INTERNAL', 'x', 500)));
  assert.ok(outcomeUnknown(new ApiError('HTTP_502', 'Bad Gateway', 502)));
  assert.ok(outcomeUnknown(new ApiError('REQUEST_IN_PROGRESS', 'x', 409)));
  assert.ok(!outcomeUnknown(new ApiError('CODE_USED', 'x', 422)));
  assert.ok(!outcomeUnknown(new ApiError('UNAUTHENTICATED', 'x', 401)));
  assert.ok(!outcomeUnknown(new Error('a bug')));
});

/** A Storage in memory, as localStorage behaves. */
class MemoryStorage {
  constructor() {
    /** @type {Map<string, string>} */
    this.values = new Map();
  }
  /** @param {string} key */
  getItem(key) {
    return this.values.get(key) ?? null;
  }
  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.values.set(key, String(value));
  }
  /** @param {string} key */
  removeItem(key) {
    this.values.delete(key);
  }
}

test('the counter survives a new Till on the same storage and forgetting the till', () => {
  const storage = /** @type {Storage} */ (/** @type {unknown} */ (new MemoryStorage()));
  const first = new Till(storage);
  first.saveSettings({ apiKey: 'key', terminalId: 'till-1', currency: 'CNY' });
  const made = new Set([first.newOutTradeNo(), first.newOutTradeNo()]);
  const reloaded = new Till(storage);
  made.add(reloaded.newOutTradeNo());
  reloaded.forget();
  assert.equal(reloaded.settings, undefined);
  reloaded.saveSettings({ apiKey: 'key', terminalId: 'till-1', currency: 'CNY' });
  made.add(reloaded.newOutTradeNo());
  assert.equal(made.size, 4);
  assert.deepEqual([...made].map((reference) => reference.split('-').at(-1)), ['1', '2', '3', '4']);
});

test('a refund clicked twice keeps its reference until its answer', () => {
  const storage = /** @type {Storage} */ (/** @type {unknown} */ (new MemoryStorage()));
  const till = new Till(storage);
  till.saveSettings({ apiKey: 'key', terminalId: 'till-1', currency: 'CNY' });
  const first = till.refundFor('till-1-20261202083015-1', 100);
  assert.deepEqual(new Till(storage).refundFor('till-1-20261202083015-1', 100), first);
  till.clearPendingRefund('till-1-20261202083015-1');
  assert.notEqual(till.refundFor('till-1-20261202083015-1', 100).out_refund_no, first.out_refund_no);
});

test('every refusal the API can give has its own advice in both languages', () => {
  for (const code of ['CODE_USED', 'CODE_EXPIRED', 'CODE_INVALID', 'INSUFFICIENT_FUNDS', 'DEVICE_LOCKED', 'DEVICE_REVOKED', 'LIMIT_EXCEEDED', 'RATE_LIMITED', 'PIN_LOCKED']) {
    assert.ok(!refusalText(code).startsWith('Something went wrong'), code);
  }
  assert.equal(refusalText('CODE_USED'), 'This code was already used. Ask the customer to refresh the code.');
  assert.equal(refusalText('SOMETHING_NEW'), 'Something went wrong (SOMETHING_NEW). Try again.');
  const placeholders = (/** @type {string} */ template) => [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
  assert.deepEqual(Object.keys(TABLES['zh-CN']).sort(), Object.keys(TABLES.en).sort());
  for (const [key, text] of Object.entries(TABLES.en)) {
    assert.deepEqual(placeholders(/** @type {Record<string, string>} */ (TABLES['zh-CN'])[key]), placeholders(text), key);
  }
  assert.equal(t('waiting_countdown', { seconds: 7 }, 'zh-CN'), '剩余 7 秒');
});

test('the vendored decoder reads a QR code of a payment code, and nothing from a blank picture', () => {
  const code = '812345678901234567';
  const qr = encode(code, { ecc: 'M', border: 4 });
  const scale = 6;
  const side = qr.size * scale;
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const value = qr.data[Math.floor(y / scale)][Math.floor(x / scale)] ? 0 : 255;
      rgba.set([value, value, value, 255], (y * side + x) * 4);
    }
  }
  const decode = zxingDecoder(zxing);
  assert.equal(decode(luminance(rgba, side, side), side, side), code);
  assert.equal(decode(new Uint8ClampedArray(side * side).fill(255), side, side), null);
});

/**
 * The modules (1 dark, 0 light) of `digits` in Code 128 set C, from the vendored encoder the
 * wallet draws with (its object renderer needs no canvas).
 * @param {string} digits
 */
function code128Modules(digits) {
  const sandbox = /** @type {{window: any, self?: any}} */ ({ window: {} });
  sandbox.self = sandbox.window;
  runInNewContext(readFileSync(new URL('../vendor/jsbarcode.code128.min.js', import.meta.url), 'utf8'), sandbox);
  /** @type {{encodings?: {data: string}[]}} */
  const rendered = {};
  sandbox.window.JsBarcode(rendered, digits, { format: 'CODE128C' });
  return rendered.encodings?.map((encoding) => encoding.data).join('') ?? '';
}

test('the vendored decoder reads the wallet’s Code 128 barcode of a payment code', () => {
  const code = '812345678901234567';
  const quiet = '0'.repeat(10);
  const modules = quiet + code128Modules(code) + quiet;
  const scale = 3;
  const width = modules.length * scale;
  const height = 60;
  const gray = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      gray[y * width + x] = modules[Math.floor(x / scale)] === '1' ? 0 : 255;
    }
  }
  assert.equal(zxingDecoder(zxing)(gray, width, height), code);
});

test('luminance weighs green most and takes transparent pixels as white', () => {
  const gray = luminance(Uint8ClampedArray.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0, 0, 0, 255]), 4, 1);
  assert.deepEqual(Array.from(gray), [76, 150, 255, 0]);
});
