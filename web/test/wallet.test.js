// The wallet's pieces that need no browser: the string table, amounts, digit grouping, the
// service worker's list of files, and the clock offset read from a `Date` header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { clockOffsetFrom } from '../shared/api.js';
import { groupDigits } from '../shared/barcodes.js';
import { majorUnits, formatMoney } from '../shared/money.js';
import { chooseLanguage, t, TABLES } from '../wallet/strings.js';

const WEB = fileURLToPath(new URL('..', import.meta.url));

/** @param {string} template */
const placeholders = (template) => [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

test('English and Chinese have the same strings with the same placeholders', () => {
  const english = TABLES.en;
  const chinese = TABLES['zh-CN'];
  assert.deepEqual(Object.keys(chinese).sort(), Object.keys(english).sort());
  for (const [key, text] of Object.entries(english)) {
    const other = /** @type {Record<string, string>} */ (chinese)[key];
    assert.deepEqual(placeholders(other), placeholders(text), key);
    assert.ok(other.trim() !== '', key);
  }
});

test('the language follows the browser: any Chinese gets Chinese, the rest English', () => {
  assert.equal(chooseLanguage(['zh-CN', 'en']), 'zh-CN');
  assert.equal(chooseLanguage(['zh-TW']), 'zh-CN');
  assert.equal(chooseLanguage(['en-GB', 'zh-CN']), 'en');
  assert.equal(chooseLanguage(['fr-FR', 'zh']), 'zh-CN');
  assert.equal(chooseLanguage(['fr-FR']), 'en');
  assert.equal(chooseLanguage([]), 'en');
});

test('strings fill in their values', () => {
  assert.equal(t('new_code_in', { seconds: 7 }, 'en'), 'New code in 7 s');
  assert.equal(t('new_code_in', { seconds: 7 }, 'zh-CN'), '7 秒后自动更新');
});

test('amounts are shown in major units with the currency’s decimals, without floating point', () => {
  assert.equal(majorUnits(8888, 'CNY'), '88.88');
  assert.equal(majorUnits(5, 'CNY'), '0.05');
  assert.equal(majorUnits(-150000, 'CNY'), '-1500.00');
  assert.equal(majorUnits(1234, 'JPY'), '1234');
  assert.equal(majorUnits(9007199254740991, 'USD'), '90071992547409.91');
  assert.equal(formatMoney(150000, 'CNY', 'en-US'), 'CN¥1,500.00');
  assert.throws(() => majorUnits(1.5, 'CNY'), /whole number/);
});

test('the 18 digits are shown as the prefix and four groups of four', () => {
  assert.equal(groupDigits('811234567890123456'), '81 1234 5678 9012 3456');
});

test('the clock offset comes from the Date header against the middle of the round trip', () => {
  const sentAt = Date.parse('2027-01-15T08:00:00.000Z');
  const offset = clockOffsetFrom('Fri, 15 Jan 2027 08:01:00 GMT', sentAt, sentAt + 200);
  assert.equal(offset, 60_000 + 500 - 100);
  assert.equal(clockOffsetFrom(null, 0, 0), null);
  assert.equal(clockOffsetFrom('not a date', 0, 0), null);
});

/** @param {string} folder */
function filesUnder(folder) {
  /** @type {string[]} */
  const files = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) {
      files.push(...filesUnder(path));
    } else {
      files.push(path);
    }
  }
  return files;
}

test('the service worker keeps every file the wallet needs offline, and only files that exist', () => {
  const source = readFileSync(join(WEB, 'wallet/sw.js'), 'utf8');
  const list = source.match(/const APP_FILES = \[([\s\S]*?)\];/)?.[1] ?? '';
  const cached = new Set([...list.matchAll(/'([^']+)'/g)].map((match) => match[1]));
  // Of the vendored libraries, the ones the wallet's pages and modules name (the till's barcode
  // reader is no business of a phone's cache).
  const sources = [...filesUnder(join(WEB, 'wallet')), ...filesUnder(join(WEB, 'shared'))]
    .filter((path) => /\.(js|html)$/.test(path) && !path.endsWith('sw.js'))
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n');
  const vendored = filesUnder(join(WEB, 'vendor')).filter((path) => sources.includes(`vendor/${basename(path)}`));
  const needed = [...filesUnder(join(WEB, 'wallet')), ...filesUnder(join(WEB, 'shared')), ...vendored]
    .map((path) => relative(join(WEB, 'wallet'), path))
    .filter((path) => /\.(js|mjs|css|html|png|webmanifest)$/.test(path) && path !== 'sw.js');
  for (const path of needed) {
    assert.ok(cached.has(path), `sw.js does not cache ${path}`);
  }
  for (const path of cached) {
    if (path !== './') {
      assert.ok(needed.includes(path), `sw.js caches ${path}, which is not a file of the app`);
    }
  }
});
