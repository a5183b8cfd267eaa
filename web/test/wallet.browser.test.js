// The wallet in headless Chromium against a real `paycode serve`, used the way a person uses
// it: log in, set the PIN, enroll; go offline, reload, show a code; a merchant charges that
// code once (and is refused the second time); the QR code holds the digits shown; a payment
// over the pin-free limit is confirmed with the PIN in the dialog; wrong passwords and revoked
// devices are explained in plain words.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import { chromium } from 'playwright-core';

import { ADMIN_KEY, call, seed, startServer } from './server.js';

/** jsqr is CommonJS: its function is the module itself and also its `default`. */
const jsQR = /** @type {typeof jsQRModule.default} */ (/** @type {any} */ (jsQRModule).default ?? jsQRModule);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const USERNAME = 'alice';
const PASSWORD = 'correct horse battery';
const PIN = '135792';
const MERCHANT = 'Canteen No. 1';
/** Above the default pin-free limit of 100000 minor units. */
const STEP_UP_AMOUNT = 150_000;
const SCREENSHOTS = new URL('../test-output/', import.meta.url);
/** Where the README's picture of the payment screen goes when PAYCODE_WRITE_SCREENSHOT is set. */
const README_SCREENSHOT = new URL('../../docs/images/wallet-payment-screen.png', import.meta.url);
const CODE_PATTERN = /^\d{2}( \d{4}){4}$/;

/** @type {import('./server.js').RunningServer} */
let server;
/** A browser profile on disk: Chromium calls an app in a throwaway (incognito) profile not installable. */
const PROFILE = mkdtempSync(join(tmpdir(), 'paycode-chromium-'));
/** @type {import('playwright-core').BrowserContext} */
let context;
/** @type {import('playwright-core').Page} */
let page;
/** @type {string} */
let merchantKey;
let tradeNumber = 0;
/** @type {number} */
let aliceId;
/** What the page reported that it should not have: CSP violations and uncaught errors. */
const pageProblems = /** @type {string[]} */ ([]);

/** @param {string} name */
async function screenshot(name) {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

/** The 18 digits the payment screen shows, without spaces. */
async function shownCode() {
  const digits = page.locator('#code-digits');
  await assert.doesNotReject(digits.waitFor());
  await page.waitForFunction((pattern) => new RegExp(pattern).test(document.getElementById('code-digits')?.textContent ?? ''), CODE_PATTERN.source);
  return (await digits.textContent())?.replace(/ /g, '') ?? '';
}

/**
 * The merchant charges `code`.
 * @param {string} code
 * @param {number} amount
 */
async function charge(code, amount) {
  tradeNumber += 1;
  const out_trade_no = `browser-${tradeNumber}`;
  const answer = await call(`${server.url}/v1/payments`, 'POST', merchantKey, { out_trade_no, auth_code: code, amount, subject: 'lunch' });
  return { out_trade_no, ...answer };
}

describe('the wallet in Chromium', { concurrency: 1 }, () => {
  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startServer();
    let userId;
    ({ merchantKey, userId } = await seed(server.url, { username: USERNAME, password: PASSWORD, balance: 1_000_000, merchant: MERCHANT }));
    aliceId = userId;
    context = await chromium.launchPersistentContext(PROFILE, {
      executablePath: CHROMIUM,
      args: ['--no-sandbox'],
      viewport: { width: 360, height: 780 },
      locale: 'en-US',
      deviceScaleFactor: 2,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) {
        pageProblems.push(message.text());
      }
    });
    page.on('pageerror', (error) => pageProblems.push(String(error)));
  });

  after(async () => {
    await context?.close();
    await server?.stop();
    rmSync(PROFILE, { recursive: true, force: true });
  });

  test('paycode serve prints the wallet URL at start', () => {
    assert.match(server.output(), new RegExp(`wallet: ${server.url}/wallet/`));
  });

  test('a wrong password is explained', async () => {
    await page.goto(`${server.url}/wallet/`);
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor());
    await screenshot('login-wrong-password');
  });

  test('log in, set the PIN and enroll this phone', async () => {
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('PIN', { exact: true }).fill(PIN);
    await page.getByLabel('PIN again').fill(PIN);
    await page.getByLabel('Name of this phone').fill('Test phone');
    await screenshot('setup');
    await page.getByRole('button', { name: 'Enroll this phone' }).click();
    assert.match(await shownCode(), /^81\d{16}$/);
    const devices = await page.evaluate(() => document.location.hash);
    assert.equal(devices, '#pay');
  });

  test('the app is installable: manifest, icons and a service worker that controls the page', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    await shownCode();
    const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
    assert.ok(controlled, 'the service worker controls the page after a reload');
    const session = await context.newCDPSession(page);
    const { installabilityErrors } = await session.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    const manifest = await session.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, []);
  });

  test('offline, a reload shows a code within a second, which pays once', async () => {
    await context.setOffline(true);
    const navigation = await page.reload();
    assert.ok(navigation?.fromServiceWorker(), 'the page came from the service worker');
    const code = await shownCode();
    const renderedAfter = await page.evaluate(() => performance.now());
    assert.ok(renderedAfter < 1000, `the payment screen rendered in ${Math.round(renderedAfter)} ms`);
    await assert.doesNotReject(page.getByRole('status').filter({ hasText: 'Server unreachable: showing offline codes.' }).waitFor());
    await screenshot('payment-offline-360');
    if (process.env.PAYCODE_WRITE_SCREENSHOT) {
      copyFileSync(new URL('payment-offline-360.png', SCREENSHOTS), README_SCREENSHOT);
    }

    // The QR code holds exactly the digits shown.
    const image = await page.evaluate(() => {
      const canvas = /** @type {HTMLCanvasElement} */ (document.querySelector('canvas.qr'));
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height);
      return { width: canvas.width, height: canvas.height, pixels: Array.from(data?.data ?? []) };
    });
    const decoded = jsQR(Uint8ClampedArray.from(image.pixels), image.width, image.height);
    assert.equal(decoded?.data, code);

    // The test is the merchant now: the phone is still offline.
    const first = await charge(code, 1_234);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'SUCCESS');
    const again = await charge(code, 1_234);
    assert.equal(again.body.error?.code, 'CODE_USED');

    await page.getByRole('button', { name: 'New code' }).click();
    await page.waitForFunction((previous) => document.getElementById('code-digits')?.textContent?.replace(/ /g, '') !== previous, code);
    const next = await shownCode();
    assert.notEqual(next, code);
    const paid = await charge(next, 100);
    assert.equal(paid.body.status, 'SUCCESS');
  });

  test('a reload never shows a code shown before', async () => {
    const seen = new Set();
    for (let reload = 0; reload < 3; reload++) {
      await page.reload();
      const code = await shownCode();
      assert.ok(!seen.has(code), `code ${code} shown twice`);
      seen.add(code);
    }
  });

  test('back online, the service worker refreshes its copy of the page and the modules', async () => {
    await context.setOffline(false);
    /** The `Date` of the cached copies of the page and of a module, as the server sent them. */
    const cachedDates = () =>
      page.evaluate(async () => {
        const dates = [];
        for (const path of ['/wallet/', '/shared/crypto.js']) {
          const response = await caches.match(new URL(path, location.href).href);
          dates.push(response?.headers.get('Date') ?? '');
        }
        return dates;
      });
    const before = await cachedDates();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await page.reload();
    await shownCode();
    await page.waitForFunction(
      async (previous) => {
        for (const [index, path] of ['/wallet/', '/shared/crypto.js'].entries()) {
          const response = await caches.match(new URL(path, location.href).href);
          if ((response?.headers.get('Date') ?? '') === previous[index]) {
            return false;
          }
        }
        return true;
      },
      before,
      { polling: 200, timeout: 10_000 },
    );
    const after = await cachedDates();
    assert.notDeepEqual(after, before);
  });

  test('a payment over the pin-free limit is confirmed with the PIN', async () => {
    await page.reload();
    const code = await shownCode();
    const pending = await charge(code, STEP_UP_AMOUNT);
    assert.equal(pending.status, 202, JSON.stringify(pending.body));
    assert.equal(pending.body.status, 'USER_PAYING');

    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: 10_000 });
    await assert.doesNotReject(dialog.getByText('1,500.00').waitFor());
    await assert.doesNotReject(dialog.getByText(`${MERCHANT} asks for`).waitFor());
    await screenshot('confirm-dialog');
    await dialog.getByLabel('PIN').fill('000000');
    await dialog.getByRole('button', { name: 'Pay' }).click();
    await assert.doesNotReject(dialog.getByRole('alert').filter({ hasText: 'Wrong PIN.' }).waitFor());
    await dialog.getByLabel('PIN').fill(PIN);
    await dialog.getByRole('button', { name: 'Pay' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await assert.doesNotReject(page.getByRole('status').filter({ hasText: 'Paid' }).waitFor());

    const trade = await call(`${server.url}/v1/payments/${pending.out_trade_no}`, 'GET', merchantKey);
    assert.equal(trade.body.status, 'SUCCESS');
  });

  test('an online code is there when asked for, and pays', async () => {
    await page.getByRole('button', { name: 'Get an online code' }).click();
    await assert.doesNotReject(page.getByText(/^Online code, valid until/).waitFor());
    const code = await shownCode();
    assert.match(code, /^80\d{16}$/);
    const paid = await charge(code, 200);
    assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
    await page.getByRole('button', { name: 'New code' }).click();
    await assert.doesNotReject(page.getByText('Offline code', { exact: true }).waitFor());
  });

  test('the account shows the balance, transactions in pages, and devices', async () => {
    // Twenty small top-ups, so that the history has more than one page.
    for (let number = 1; number <= 20; number++) {
      await call(`${server.url}/v1/admin/topups`, 'POST', ADMIN_KEY, { user_id: aliceId, amount: 1, reference: `small-${number}` });
    }
    await page.getByRole('button', { name: 'Account' }).click();
    // 10000.00 - 12.34 - 1.00 - 1500.00 - 2.00 + 20 × 0.01
    await assert.doesNotReject(page.getByText('8,484.86').waitFor());
    await assert.doesNotReject(page.getByText('Test phone (this phone)').waitFor());
    await screenshot('account-360');
    const rows = page.locator('ul.transactions li');
    assert.equal(await rows.count(), 20);
    await page.getByRole('button', { name: 'Show more' }).click();
    // The rest: four payments and the first top-up.
    await page.waitForFunction(() => document.querySelectorAll('ul.transactions li').length === 25);
    assert.ok(await page.getByRole('button', { name: 'Show more' }).isHidden());
  });

  test('the page broke no Content-Security-Policy rule and threw no error', () => {
    assert.deepEqual(pageProblems, []);
  });

  test('a device revoked elsewhere shows its message', async () => {
    const session = await call(`${server.url}/v1/wallet/sessions`, 'POST', undefined, { username: USERNAME, password: PASSWORD });
    const devices = await call(`${server.url}/v1/wallet/devices`, 'GET', session.body.token);
    for (const device of devices.body.items) {
      await call(`${server.url}/v1/wallet/devices/${device.id}`, 'DELETE', session.body.token);
    }
    await page.goto(`${server.url}/wallet/#pay`);
    await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'This phone was removed from your account' }).waitFor());
    await screenshot('device-revoked');
  });

  test('a phone whose clock is off makes codes at the server’s time and says so; logging out stops it paying', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      await seed(server.url, { username: 'bob', password: PASSWORD, balance: 10_000, merchant: 'Kiosk' });
      const skewed = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'en-US' });
      // Five minutes ahead: ten steps, far outside the server's window of one step.
      await skewed.clock.install({ time: Date.now() + 5 * 60 * 1000 });
      const skewedPage = await skewed.newPage();
      await skewedPage.goto(`${server.url}/wallet/`);
      await skewedPage.getByLabel('Username').fill('bob');
      await skewedPage.getByLabel('Password').fill(PASSWORD);
      await skewedPage.getByRole('button', { name: 'Log in' }).click();
      await skewedPage.getByLabel('PIN', { exact: true }).fill(PIN);
      await skewedPage.getByLabel('PIN again').fill(PIN);
      await skewedPage.getByRole('button', { name: 'Enroll this phone' }).click();
      await assert.doesNotReject(skewedPage.getByRole('alert').filter({ hasText: /This phone’s clock is 30\d s off the server’s/ }).waitFor());
      const digits = skewedPage.locator('#code-digits');
      await skewedPage.waitForFunction((pattern) => new RegExp(pattern).test(document.getElementById('code-digits')?.textContent ?? ''), CODE_PATTERN.source);
      const code = (await digits.textContent())?.replace(/ /g, '') ?? '';
      const paid = await call(`${server.url}/v1/payments`, 'POST', merchantKey, { out_trade_no: 'skewed-1', auth_code: code, amount: 300 });
      assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));

      // Logging out leaves a phone that cannot pay: its device is revoked and its keys gone.
      await skewedPage.getByRole('button', { name: 'Account' }).click();
      await skewedPage.getByRole('button', { name: 'Log out' }).click();
      await assert.doesNotReject(skewedPage.getByRole('button', { name: 'Log in' }).waitFor());
      const stored = await skewedPage.evaluate(
        () =>
          new Promise((resolve) => {
            const open = indexedDB.open('paycode');
            open.onsuccess = () => {
              const request = open.result.transaction('state').objectStore('state').getAllKeys();
              request.onsuccess = () => resolve(request.result.map(String).sort());
            };
          }),
      );
      assert.ok(!(/** @type {string[]} */ (stored)).includes('device'), `left in IndexedDB: ${stored}`);
      assert.ok(!(/** @type {string[]} */ (stored)).includes('session'), `left in IndexedDB: ${stored}`);
      const session = await call(`${server.url}/v1/wallet/sessions`, 'POST', undefined, { username: 'bob', password: PASSWORD });
      const devices = await call(`${server.url}/v1/wallet/devices`, 'GET', session.body.token);
      assert.deepEqual(devices.body.items.map((/** @type {{status: string}} */ device) => device.status), ['revoked']);
    } finally {
      await browser.close();
    }
  });

  test('enrolling with a wrong PIN is refused, and the fifth wrong PIN locks PIN entry', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      await seed(server.url, { username: 'carol', password: PASSWORD, balance: 0, merchant: 'Stall' });
      const session = await call(`${server.url}/v1/wallet/sessions`, 'POST', undefined, { username: 'carol', password: PASSWORD });
      await call(`${server.url}/v1/wallet/pin`, 'PUT', session.body.token, { pin: PIN });
      const secondPhone = await (await browser.newContext({ viewport: { width: 360, height: 780 }, locale: 'en-US' })).newPage();
      await secondPhone.goto(`${server.url}/wallet/`);
      await secondPhone.getByLabel('Username').fill('carol');
      await secondPhone.getByLabel('Password').fill(PASSWORD);
      await secondPhone.getByRole('button', { name: 'Log in' }).click();
      for (let attempt = 1; attempt <= 6; attempt++) {
        await secondPhone.getByLabel('PIN', { exact: true }).fill('999999');
        await secondPhone.getByLabel('PIN again').fill('999999');
        await secondPhone.getByRole('button', { name: 'Enroll this phone' }).click();
        const expected = attempt < 5 ? 'Wrong PIN.' : 'Too many wrong PINs. PIN entry is locked for 15 minutes.';
        await assert.doesNotReject(secondPhone.getByRole('alert').filter({ hasText: expected }).waitFor(), `attempt ${attempt}`);
        await secondPhone.getByRole('button', { name: 'Enroll this phone' }).and(secondPhone.locator(':enabled')).waitFor();
      }
      await secondPhone.screenshot({ path: new URL('pin-locked.png', SCREENSHOTS).pathname, fullPage: true });
      const devices = await call(`${server.url}/v1/wallet/devices`, 'GET', session.body.token);
      assert.deepEqual(devices.body.items, []);
    } finally {
      await browser.close();
    }
  });

  test('Chinese browsers get the Chinese strings', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const chinese = await browser.newContext({ locale: 'zh-CN', viewport: { width: 360, height: 700 } });
      const chinesePage = await chinese.newPage();
      await chinesePage.goto(`${server.url}/wallet/`);
      await assert.doesNotReject(chinesePage.getByRole('button', { name: '登录' }).waitFor());
      await assert.doesNotReject(chinesePage.getByLabel('用户名').waitFor());
      await chinesePage.screenshot({ path: new URL('login-zh-CN.png', SCREENSHOTS).pathname });
    } finally {
      await browser.close();
    }
  });
});
