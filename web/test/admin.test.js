// The console's pieces that need no browser: its string table, typed amounts read exactly with
// the CLI's rules, and the query strings of the admin calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { queryString } from '../admin/console.js';
import { TABLES, chooseLanguage, t } from '../admin/strings.js';
import { AmountError, MAX_AMOUNT_MINOR, parseMajorUnits } from '../shared/money.js';

/** @param {string} template */
const placeholders = (template) => [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

test('the console has the same strings in English and Chinese, with the same placeholders', () => {
  const english = TABLES.en;
  const chinese = TABLES['zh-CN'];
  assert.deepEqual(Object.keys(chinese).sort(), Object.keys(english).sort());
  for (const [key, text] of Object.entries(english)) {
    const other = /** @type {Record<string, string>} */ (chinese)[key];
    assert.deepEqual(placeholders(other), placeholders(text), key);
    assert.ok(other.trim() !== '', key);
  }
});

test('the console speaks Chinese to any Chinese browser and English to the rest', () => {
  assert.equal(chooseLanguage(['zh-TW', 'en']), 'zh-CN');
  assert.equal(chooseLanguage(['de-DE', 'en-GB']), 'en');
  assert.equal(chooseLanguage([]), 'en');
  assert.equal(t('topup_done', { amount: '¥1.00' }, 'en'), 'Topped up ¥1.00.');
  assert.equal(t('topup_done', { amount: '¥1.00' }, 'zh-CN'), '已充值 ¥1.00。');
});

test('typed amounts become minor units exactly', () => {
  const cases = /** @type {[string, string, number][]} */ ([
    ['12.34', 'CNY', 1234],
    ['12.3', 'CNY', 1230],
    ['12', 'CNY', 1200],
    ['0.01', 'CNY', 1],
    // 0.29 as a float times 100 is 28.999999999999996: digits, never floats.
    ['0.29', 'CNY', 29],
    ['1.005', 'KWD', 1005],
    [' 88.88 ', 'CNY', 8888],
    ['500', 'JPY', 500],
    ['10000000000', 'CNY', MAX_AMOUNT_MINOR],
  ]);
  for (const [text, currency, minor] of cases) {
    assert.equal(parseMajorUnits(text, currency), minor, `${text} ${currency}`);
  }
});

test('amounts the CLI refuses are refused, each with its reason', () => {
  const cases = /** @type {[string, string, string][]} */ ([
    ['', 'CNY', 'empty'],
    ['   ', 'CNY', 'empty'],
    ['-1', 'CNY', 'negative'],
    ['abc', 'CNY', 'syntax'],
    ['1e3', 'CNY', 'syntax'],
    ['1,000', 'CNY', 'syntax'],
    ['12.', 'CNY', 'syntax'],
    ['.5', 'CNY', 'syntax'],
    ['+5', 'CNY', 'syntax'],
    ['1 000', 'CNY', 'syntax'],
    ['１２', 'CNY', 'syntax'],
    ['12.505', 'CNY', 'decimals'],
    ['1.5', 'JPY', 'decimals'],
    ['10000000000.01', 'CNY', 'too_large'],
    ['99999999999999999999999', 'CNY', 'too_large'],
    ['0', 'CNY', 'zero'],
    ['0.00', 'CNY', 'zero'],
  ]);
  for (const [text, currency, problem] of cases) {
    assert.throws(
      () => parseMajorUnits(text, currency),
      (error) => error instanceof AmountError && error.problem === problem,
      `${JSON.stringify(text)} ${currency} should be refused as ${problem}`,
    );
  }
});

test('query strings carry only the filters that have a value, encoded', () => {
  assert.equal(queryString({ username_prefix: '', after: null, limit: 20 }), '?limit=20');
  assert.equal(queryString({ merchant_id: '3', out_trade_no: 'a&b=c', date: undefined }), '?merchant_id=3&out_trade_no=a%26b%3Dc');
  assert.equal(queryString({}), '');
});
