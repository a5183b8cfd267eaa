// The till in headless Chromium against a real `paycode serve`, used the way a cashier uses it:
// set it up with the merchant key; charge codes typed as a USB scanner types them (digits and
// Enter); a payment over the pin-free limit confirmed from the web wallet in a second browser
// context, and one left unconfirmed that closes; a lost answer and a reload in the middle of a
// charge, which still charge once; the camera reading the wallet's QR code from a fake video
// device; today's trades with a refund clicked twice that refunds once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { ADMIN_KEY, call, seed, startServerWithConfig } from './server.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const USERNAME = 'dora';
const PASSWORD = 'correct horse battery';
const PIN = '246813';
const MERCHANT = 'Canteen No. 2';
const TERMINAL = 'till-1';
/** Above the default pin-free limit of 100000 minor units. */
const STEP_UP_AMOUNT = 150_000;
/** Short, so that the test of an unconfirmed payment waits seconds, not the default minute. */
const CONFIRM_SECONDS = 12;
const STARTING_BALANCE = 2_000_000;
const SCREENSHOTS = new URL('../test-output/', import.meta.url);
/** Where the README's picture of the till goes when PAYCODE_WRITE_SCREENSHOT is set. */
const README_SCREENSHOT = new URL('../../docs/images/till-after-payment.png', import.meta.url);

/** @type {import('./server.js').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** The till's page. @type {import('playwright-core').Page} */
let till;
/** The customer's web wallet, in a context of its own. @type {import('playwright-core').Page} */
let wallet;
/** @type {string} */
let merchantKey;
/** The customer's session token, for online codes. @type {string} */
let userToken;
/** What the pages reported that they should not have: CSP violations and uncaught errors. */
const pageProblems = /** @type {string[]} */ ([]);

/** @param {import('playwright-core').Page} page */
function watch(page) {
  page.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) {
      pageProblems.push(message.text());
    }
  });
  page.on('pageerror', (error) => pageProblems.push(String(error)));
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
async function screenshot(page, name) {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

/** A fresh online code of the customer's enrolled phone, as the wallet would show it. */
async function freshCode() {
  const answer = await call(`${server.url}/v1/wallet/codes`, 'POST', userToken, {});
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return /** @type {string} */ (answer.body.code);
}

/** @param {string} credential */
async function balanceOf(credential, path = '/v1/wallet/balance') {
  const answer = await call(`${server.url}${path}`, 'GET', credential);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return /** @type {number} */ (answer.body.balance);
}

/**
 * Sets up a till page with the merchant key and a terminal id.
 * @param {import('playwright-core').Page} page
 */
async function setUpTill(page) {
  await page.goto(`${server.url}/pos/`);
  await page.getByLabel('Merchant API key').fill(merchantKey);
  await page.getByLabel('Terminal id').fill(TERMINAL);
  await page.getByRole('button', { name: 'Save and check the key' }).click();
  await assert.doesNotReject(page.getByLabel('Amount (CNY)').waitFor());
}

/**
 * Types `amount` on the keypad and goes on to the code.
 * @param {import('playwright-core').Page} page
 * @param {string} amount
 */
async function enterAmount(page, amount) {
  // Back to the amount from an outcome or from the code step, whichever is on the screen.
  for (const name of ['Next customer', 'Change the amount']) {
    const back = page.getByRole('button', { name });
    if (await back.isVisible()) {
      await back.click();
    }
  }
  await page.getByRole('button', { name: 'Clear' }).click();
  for (const key of amount) {
    await page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: key, exact: true }).click();
  }
  await page.getByRole('button', { name: 'Take payment' }).click();
  await assert.doesNotReject(page.getByLabel('Payment code').waitFor());
}

/**
 * Types `code` as a USB scanner does: into whatever has the focus, then Enter.
 * @param {import('playwright-core').Page} page
 * @param {string} code
 */
async function scan(page, code) {
  const focused = await page.evaluate(() => document.activeElement?.id);
  assert.equal(focused, 'code', 'the code field has the focus while the till waits for a code');
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
}

/** @param {import('playwright-core').Page} page */
const outcome = (page) => page.locator('section.outcome');

/**
 * The PNG-free picture of a code for Chromium's fake camera: YUV4MPEG2 frames (4:2:0, full
 * range) of `width` × `height` with the RGBA image `image` scaled to fit `side` pixels in the
 * middle of a white frame.
 * @param {{width: number, height: number, pixels: number[]}} image
 * @param {{width: number, height: number, side: number, frames: number}} frame
 */
function y4mOf(image, { width, height, side, frames }) {
  const luma = Buffer.alloc(width * height, 255);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sourceX = Math.floor((x * image.width) / side);
      const sourceY = Math.floor((y * image.height) / side);
      const at = (sourceY * image.width + sourceX) * 4;
      const [red, green, blue] = [image.pixels[at], image.pixels[at + 1], image.pixels[at + 2]];
      luma[(top + y) * width + left + x] = Math.round(0.299 * red + 0.587 * green + 0.114 * blue);
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let index = 0; index < frames; index++) {
    parts.push(Buffer.from('FRAME\n'), luma, chroma);
  }
  return Buffer.concat(parts);
}

describe('the till in Chromium', { concurrency: 1 }, () => {
  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startServerWithConfig(`user_paying_timeout_seconds = ${CONFIRM_SECONDS}\n`);
    ({ merchantKey } = await seed(server.url, { username: USERNAME, password: PASSWORD, balance: STARTING_BALANCE, merchant: MERCHANT }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

    // The customer enrolls the web wallet, which then waits for payments to confirm.
    const walletContext = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'en-US' });
    wallet = await walletContext.newPage();
    watch(wallet);
    await wallet.goto(`${server.url}/wallet/`);
    await wallet.getByLabel('Username').fill(USERNAME);
    await wallet.getByLabel('Password').fill(PASSWORD);
    await wallet.getByRole('button', { name: 'Log in' }).click();
    await wallet.getByLabel('PIN', { exact: true }).fill(PIN);
    await wallet.getByLabel('PIN again').fill(PIN);
    await wallet.getByRole('button', { name: 'Enroll this phone' }).click();
    await wallet.locator('#code-digits').waitFor();
    const session = await call(`${server.url}/v1/wallet/sessions`, 'POST', undefined, { username: USERNAME, password: PASSWORD });
    userToken = session.body.token;

    const tillContext = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-US' });
    till = await tillContext.newPage();
    watch(till);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('paycode serve prints the till URL at start', () => {
    assert.match(server.output(), new RegExp(`till: ${server.url}/pos/`));
  });

  test('a wrong key is refused at setup; the right one sets the till up', async () => {
    await till.goto(`${server.url}/pos/`);
    await till.getByLabel('Merchant API key').fill('not-a-key');
    await till.getByLabel('Terminal id').fill('till 1');
    await till.getByRole('button', { name: 'Save and check the key' }).click();
    await assert.doesNotReject(till.getByRole('alert').filter({ hasText: 'A terminal id is 1 to 24 letters' }).waitFor());
    await till.getByLabel('Terminal id').fill(TERMINAL);
    await till.getByRole('button', { name: 'Save and check the key' }).click();
    await assert.doesNotReject(till.getByRole('alert').filter({ hasText: 'The server refused this key. Check it and try again.' }).waitFor());
    await screenshot(till, 'till-setup');
    await setUpTill(till);
  });

  test('amounts are read with the CLI’s rules; bad ones are explained and go no further', async () => {
    const amount = till.getByLabel('Amount (CNY)');
    const keypad = till.getByRole('group', { name: 'Keypad' });
    for (const key of ['9', '.', '5', '0']) {
      await keypad.getByRole('button', { name: key, exact: true }).click();
    }
    await keypad.getByRole('button', { name: 'Delete the last digit' }).click();
    assert.equal(await amount.inputValue(), '9.5');
    await keypad.getByRole('button', { name: 'Clear' }).click();
    assert.equal(await amount.inputValue(), '');
    const cases = [
      ['12.505', 'An amount has at most 2 digits after the decimal point.'],
      ['-1', 'An amount cannot be negative.'],
      ['abc', 'An amount is written as digits with at most one decimal point, such as 12.50.'],
      ['0', 'An amount must be more than zero.'],
      ['', 'Type an amount, such as 12.50.'],
    ];
    for (const [typed, message] of cases) {
      await amount.fill(typed);
      await till.getByRole('button', { name: 'Take payment' }).click();
      await assert.doesNotReject(till.getByRole('alert').filter({ hasText: message }).waitFor(), typed);
      assert.ok(await till.getByLabel('Payment code').isHidden(), `${typed} went on to the code`);
    }
  });

  test('a code typed as a scanner types it pays; the same code again is refused as used', async () => {
    const code = await freshCode();
    await enterAmount(till, '12.50');
    await assert.doesNotReject(till.getByRole('heading', { name: /Charge CN¥12\.50/ }).waitFor());
    await scan(till, code);
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: /^Paid$/ }).waitFor());
    await assert.doesNotReject(outcome(till).getByText(/CN¥12\.50 · trade \d{20}/).waitFor());
    await screenshot(till, 'till-paid-1024');
    if (process.env.PAYCODE_WRITE_SCREENSHOT) {
      // The top of the tablet's screen, where the outcome is; the rest is empty.
      await till.screenshot({ path: README_SCREENSHOT.pathname, clip: { x: 0, y: 0, width: 1024, height: 300 } });
    }

    await enterAmount(till, '3');
    await scan(till, code);
    await assert.doesNotReject(till.getByRole('alert').filter({ hasText: 'Not paid' }).waitFor());
    await assert.doesNotReject(outcome(till).getByText('This code was already used. Ask the customer to refresh the code.').waitFor());
    await screenshot(till, 'till-code-used');

    // The same amount, charged again with the refreshed code.
    await till.getByRole('button', { name: 'Scan a new code' }).click();
    await assert.doesNotReject(till.getByRole('heading', { name: /Charge CN¥3\.00/ }).waitFor());
    await scan(till, await freshCode());
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: /^Paid$/ }).waitFor());

    // A code of the wrong length never leaves the till.
    await enterAmount(till, '1');
    await scan(till, '12345');
    await assert.doesNotReject(till.getByRole('alert').filter({ hasText: 'A payment code is 18 digits.' }).waitFor());
  });

  test('a payment over the pin-free limit waits for the wallet’s PIN, then shows paid', async () => {
    const before = await balanceOf(userToken);
    await enterAmount(till, '1500');
    await scan(till, await freshCode());
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: 'Waiting for the customer' }).waitFor());
    await assert.doesNotReject(outcome(till).getByText(/^\d+ s left$/).waitFor());
    await screenshot(till, 'till-waiting');

    const dialog = wallet.getByRole('dialog');
    await dialog.waitFor({ timeout: 10_000 });
    await assert.doesNotReject(dialog.getByText(`${MERCHANT} asks for`).waitFor());
    await dialog.getByLabel('PIN').fill(PIN);
    await dialog.getByRole('button', { name: 'Pay' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await assert.doesNotReject(till.getByRole('status').filter({ hasText: /^Paid$/ }).waitFor({ timeout: 10_000 }));
    assert.equal(await balanceOf(userToken), before - STEP_UP_AMOUNT);
  });

  test('a payment left unconfirmed is closed at its deadline and charges nothing', async () => {
    const before = await balanceOf(userToken);
    await enterAmount(till, '1500');
    await scan(till, await freshCode());
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: 'Waiting for the customer' }).waitFor());
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: /^Closed$/ }).waitFor({ timeout: (CONFIRM_SECONDS + 10) * 1000 }));
    await assert.doesNotReject(outcome(till).getByText('CN¥1,500.00 was not paid; nothing was charged.').waitFor());
    assert.equal(await balanceOf(userToken), before);
    // The wallet's dialog for it goes unanswered; close it for the tests that follow.
    await wallet.reload();
  });

  test('the cashier cancels a payment waiting for the customer', async () => {
    await enterAmount(till, '1500');
    await scan(till, await freshCode());
    await till.getByRole('button', { name: 'Cancel the payment' }).click();
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: /^Closed$/ }).waitFor());
    await wallet.reload();
  });

  test('a lost answer is asked again with the same reference: paid once', async () => {
    const userBefore = await balanceOf(userToken);
    const merchantBefore = await balanceOf(merchantKey, '/v1/merchant/balance');
    /** @type {string[]} */
    const bodies = [];
    await till.route('**/v1/payments', async (route) => {
      bodies.push(route.request().postData() ?? '');
      if (bodies.length === 1) {
        // The payment reaches the server and is made; its answer never reaches the page.
        await route.fetch();
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    try {
      await enterAmount(till, '7.77');
      await scan(till, await freshCode());
      await assert.doesNotReject(till.getByRole('status').filter({ hasText: /^Paid$/ }).waitFor({ timeout: 15_000 }));
    } finally {
      await till.unroute('**/v1/payments');
    }
    assert.equal(bodies.length, 2);
    assert.equal(bodies[1], bodies[0], 'the retry sent the same request');
    const outTradeNo = JSON.parse(bodies[0]).out_trade_no;
    assert.match(outTradeNo, /^till-1-\d{14}-\d+$/);
    const trade = await call(`${server.url}/v1/payments/${outTradeNo}`, 'GET', merchantKey);
    assert.equal(trade.body.status, 'SUCCESS');
    assert.equal(await balanceOf(userToken), userBefore - 777, 'the customer paid once');
    assert.equal(await balanceOf(merchantKey, '/v1/merchant/balance'), merchantBefore + 777, 'the merchant was paid once');
  });

  test('a charge whose answer never came is resumed after a reload, with the same reference', async () => {
    const userBefore = await balanceOf(userToken);
    /** @type {string[]} */
    const bodies = [];
    await till.route('**/v1/payments', async (route) => {
      bodies.push(route.request().postData() ?? '');
      await route.abort('internetdisconnected');
    });
    await enterAmount(till, '2.22');
    await scan(till, await freshCode());
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: 'Checking…' }).waitFor());
    await assert.doesNotReject(outcome(till).getByText(/Asking again with the same reference till-1-/).waitFor());
    await screenshot(till, 'till-checking');
    await till.reload();
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: 'Checking…' }).waitFor());
    await till.unroute('**/v1/payments');
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: /^Paid$/ }).waitFor({ timeout: 20_000 }));
    assert.ok(bodies.length >= 2, `${bodies.length} tries before the reload and after it`);
    assert.ok(new Set(bodies).size === 1, 'every try sent the same request');
    assert.equal(await balanceOf(userToken), userBefore - 222);
  });

  test('the camera reads the wallet’s QR code and the till charges it', async () => {
    // The wallet's payment screen draws its code; its QR code becomes the fake camera's video.
    await wallet.reload();
    await wallet.waitForFunction(() => /^\d{2}( \d{4}){4}$/.test(document.getElementById('code-digits')?.textContent ?? ''));
    const code = ((await wallet.locator('#code-digits').textContent()) ?? '').replace(/ /g, '');
    const image = await wallet.evaluate(() => {
      const canvas = /** @type {HTMLCanvasElement} */ (document.querySelector('canvas.qr'));
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height);
      return { width: canvas.width, height: canvas.height, pixels: Array.from(data?.data ?? []) };
    });
    const directory = mkdtempSync(join(tmpdir(), 'paycode-camera-'));
    const video = join(directory, 'code.y4m');
    writeFileSync(video, y4mOf(image, { width: 640, height: 480, side: 440, frames: 5 }));
    const cameraBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
    try {
      const context = await cameraBrowser.newContext({ viewport: { width: 360, height: 780 }, locale: 'en-US', permissions: ['camera'] });
      const page = await context.newPage();
      watch(page);
      const userBefore = await balanceOf(userToken);
      await setUpTill(page);
      await enterAmount(page, '4.56');
      await page.getByRole('button', { name: 'Scan with the camera' }).click();
      await assert.doesNotReject(page.getByRole('status').filter({ hasText: /^Paid$/ }).waitFor({ timeout: 20_000 }));
      assert.equal(await page.getByLabel('Payment code').inputValue(), code, 'the till read the code the wallet shows');
      // Chromium on Linux has no BarcodeDetector, so this reads with the vendored ZXing.
      const native = await page.evaluate(() => 'BarcodeDetector' in window);
      assert.equal(await page.locator('video.camera').getAttribute('data-decoder'), native ? 'BarcodeDetector' : 'ZXing');
      assert.equal(await balanceOf(userToken), userBefore - 456);
      await screenshot(page, 'till-paid-360');
    } finally {
      await cameraBrowser.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test('today’s trades: the totals, paging, and a refund clicked twice refunds once', async () => {
    // More trades than a page holds, charged through the API as another till would.
    for (let number = 1; number <= 15; number++) {
      const paid = await call(`${server.url}/v1/payments`, 'POST', merchantKey, { out_trade_no: `api-${number}`, auth_code: await freshCode(), amount: 100 + number, terminal_id: 'till-2' });
      assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
    }
    const day = (await call(`${server.url}/v1/merchant/trades?limit=100`, 'GET', merchantKey)).body;
    assert.ok(day.items.length > 20, `${day.items.length} trades today`);

    await till.getByRole('button', { name: 'Today' }).click();
    const rows = till.locator('ul.trades li[data-out-trade-no]');
    await till.waitForFunction(() => document.querySelectorAll('ul.trades li[data-out-trade-no]').length === 20);
    const totals = till.locator('dl.totals');
    await assert.doesNotReject(totals.locator('div').filter({ hasText: 'Paid' }).getByText(String(day.totals.paid_count), { exact: true }).waitFor());
    const gross = (day.totals.gross / 100).toLocaleString('en-US', { minimumFractionDigits: 2 });
    await assert.doesNotReject(totals.locator('div').filter({ hasText: 'Taken' }).getByText(`CN¥${gross}`).waitFor());
    assert.equal(await rows.first().getAttribute('data-out-trade-no'), day.items[0].out_trade_no, 'newest first');
    await till.getByRole('button', { name: 'More' }).click();
    await till.waitForFunction((count) => document.querySelectorAll('ul.trades li[data-out-trade-no]').length === count, day.items.length);
    assert.ok(await till.getByRole('button', { name: 'More' }).isHidden(), 'no More after the last page');
    assert.deepEqual(await rows.evaluateAll((items) => items.map((item) => item.getAttribute('data-out-trade-no'))), day.items.map((/** @type {{out_trade_no: string}} */ trade) => trade.out_trade_no));

    // The till's first payment of the day: CN¥12.50, of which CN¥1.00 goes back.
    const first = till.locator('ul.trades li[data-out-trade-no]').filter({ hasText: 'CN¥12.50' });
    const outTradeNo = /** @type {string} */ (await first.getAttribute('data-out-trade-no'));
    await first.getByRole('button', { name: 'Refund' }).click();
    await first.getByLabel('Amount to refund (CNY)').fill('1.00');
    await first.getByRole('button', { name: 'Refund now' }).dblclick();
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: 'Refunded CN¥1.00.' }).first().waitFor());
    await screenshot(till, 'till-trades');
    const refunds = await call(`${server.url}/v1/payments/${outTradeNo}/refunds`, 'GET', merchantKey);
    assert.equal(refunds.body.items.length, 1, JSON.stringify(refunds.body));
    assert.equal(refunds.body.items[0].amount, 100);
    assert.match(refunds.body.items[0].out_refund_no, /^R-till-1-\d{14}-\d+$/);
    // The list is read again from its newest page, with the day's refunds in the totals.
    await assert.doesNotReject(totals.locator('div').filter({ hasText: 'Refunded' }).getByText('CN¥1.00').waitFor());
  });

  test('the keypad fits a 360 px phone’s width and a 1024 × 768 tablet’s screen', async () => {
    await till.getByRole('button', { name: 'Charge', exact: true }).first().click();
    const takePayment = till.getByRole('button', { name: 'Take payment' });
    await takePayment.waitFor();
    const box = await takePayment.boundingBox();
    assert.ok(box && box.y + box.height <= 768, `Take payment ends at ${box && box.y + box.height} px`);
    await screenshot(till, 'till-keypad-1024');
    await till.setViewportSize({ width: 360, height: 740 });
    const overflow = await till.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'nothing sticks out sideways');
    await screenshot(till, 'till-keypad-360');
    await till.setViewportSize({ width: 1024, height: 768 });
  });

  test('forgetting the till removes its key from the browser', async () => {
    await till.getByRole('button', { name: 'Till' }).click();
    await assert.doesNotReject(till.getByRole('status').filter({ hasText: `This till is ${TERMINAL}.` }).waitFor());
    await till.getByRole('button', { name: 'Forget this till' }).click();
    await assert.doesNotReject(till.getByLabel('Merchant API key').waitFor());
    const stored = await till.evaluate(() => localStorage.getItem('paycode.pos.settings'));
    assert.equal(stored, null);
  });

  test('a till whose key was revoked goes back to the setup and says why', async () => {
    const kiosk = await call(`${server.url}/v1/admin/merchants`, 'POST', ADMIN_KEY, { name: 'Kiosk' });
    assert.equal(kiosk.status, 201, JSON.stringify(kiosk.body));
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-US' });
    try {
      const page = await context.newPage();
      watch(page);
      await page.goto(`${server.url}/pos/`);
      await page.getByLabel('Merchant API key').fill(kiosk.body.api_key);
      await page.getByLabel('Terminal id').fill('kiosk-1');
      await page.getByRole('button', { name: 'Save and check the key' }).click();
      await enterAmount(page, '1');
      const revoked = await call(`${server.url}/v1/admin/merchants/${kiosk.body.id}/keys/${kiosk.body.api_key_id}`, 'DELETE', ADMIN_KEY);
      assert.ok(revoked.status < 300, JSON.stringify(revoked));
      await scan(page, await freshCode());
      await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'The server no longer accepts this till’s key. Enter a valid key.' }).waitFor());
      await assert.doesNotReject(page.getByLabel('Merchant API key').waitFor());
      assert.equal(await page.evaluate(() => localStorage.getItem('paycode.pos.settings')), null);
      assert.equal(await page.evaluate(() => localStorage.getItem('paycode.pos.pending_charge')), null, 'the refused charge is not retried');
    } finally {
      await context.close();
    }
  });

  test('Chinese browsers get the Chinese strings', async () => {
    const chinese = await browser.newContext({ locale: 'zh-CN', viewport: { width: 360, height: 700 } });
    try {
      const page = await chinese.newPage();
      await page.goto(`${server.url}/pos/`);
      await assert.doesNotReject(page.getByLabel('商户 API 密钥').waitFor());
      await assert.doesNotReject(page.getByRole('button', { name: '保存并验证密钥' }).waitFor());
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    } finally {
      await chinese.close();
    }
  });

  test('the pages broke no Content-Security-Policy rule and threw no error', () => {
    assert.deepEqual(pageProblems, []);
  });
});
