// The operator's console in headless Chromium against a real `paycode serve`, used the way an
// operator uses it: log in with the admin key (a wrong one refused), create users and
// merchants (keys shown once), top up (a double click and a lost answer each top up once),
// find users by the start of their name, unlock a device locked by wrong codes, revoke one,
// and read the ledger check, the trades and the day's figures. Every check that matters is
// made through the API as well, not only on the page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { enrollPhone, pay } from './admin.helpers.js';
import { ADMIN_KEY, call, startServer } from './server.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = new URL('../test-output/', import.meta.url);
const PASSWORD = 'correct horse battery';
/** Wrong codes at one merchant that refuse it the device; twice that locks it everywhere. */
const MAX_FAILED_ATTEMPTS = 2;

/** @type {import('./server.js').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').BrowserContext} */
let context;
/** @type {import('playwright-core').Page} */
let page;
const configDirectory = mkdtempSync(join(tmpdir(), 'paycode-admin-config-'));
/** What the page reported that it should not have: CSP violations and uncaught errors. */
const pageProblems = /** @type {string[]} */ ([]);
/** Successful payments the tests made, for the day's figures. */
let paymentsMade = 0;

/**
 * @param {string} name
 * @param {import('playwright-core').Page} [onPage]
 */
async function screenshot(name, onPage = page) {
  await onPage.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

/**
 * An admin call with the right key.
 * @param {string} path
 * @param {string} [method]
 * @param {unknown} [body]
 */
function admin(path, method = 'GET', body = undefined) {
  return call(`${server.url}${path}`, method, ADMIN_KEY, body);
}

/** @param {string} name */
async function createMerchantThroughTheApi(name) {
  const created = await admin('/v1/admin/merchants', 'POST', { name });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return /** @type {{id: number, api_key: string}} */ (created.body);
}

/** @param {string} username */
async function createUserThroughTheApi(username) {
  const created = await admin('/v1/admin/users', 'POST', { username, password: PASSWORD });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return /** @type {{id: number}} */ (created.body);
}

/** @param {number} userId */
async function topupsOf(userId) {
  const history = await admin(`/v1/admin/users/${userId}/transactions?limit=100`);
  return history.body.items.filter((/** @type {{kind: string}} */ entry) => entry.kind === 'topup');
}

/** @param {import('playwright-core').Page} onPage */
function watchForProblems(onPage) {
  onPage.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) {
      pageProblems.push(message.text());
    }
  });
  onPage.on('pageerror', (error) => pageProblems.push(String(error)));
}

/** @param {string} text */
function statusLine(text) {
  return page.getByRole('status').filter({ hasText: text });
}

/** @param {string} text */
function alertLine(text) {
  return page.getByRole('alert').filter({ hasText: text });
}

describe('the operator’s console in Chromium', { concurrency: 1 }, () => {
  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Small lockout limits, so that a few wrong codes lock a device everywhere; the server
    // reads the file named by PAYCODE_CONFIG, which startServer passes on.
    const configFile = join(configDirectory, 'paycode.toml');
    writeFileSync(configFile, `max_failed_attempts = ${MAX_FAILED_ATTEMPTS}\nglobal_failed_attempts = ${2 * MAX_FAILED_ATTEMPTS}\n`);
    process.env.PAYCODE_CONFIG = configFile;
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    watchForProblems(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(configDirectory, { recursive: true, force: true });
  });

  test('a wrong admin key is refused with a visible error and is not kept', async () => {
    await page.goto(`${server.url}/admin/`);
    const key = page.getByLabel('Admin key');
    assert.equal(await key.getAttribute('autocomplete'), 'current-password');
    assert.equal(await key.getAttribute('type'), 'password');
    await key.fill('not-the-admin-key');
    await page.getByRole('button', { name: 'Log in' }).click();
    await assert.doesNotReject(alertLine('That admin key was refused.').waitFor());
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
    await screenshot('admin-login-refused');
  });

  test('the right key logs in for this browser session only', async () => {
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await assert.doesNotReject(page.getByRole('heading', { name: 'Users', level: 1 }).waitFor());
    assert.equal(await page.evaluate(() => sessionStorage.getItem('paycode-admin-key')), ADMIN_KEY);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing kept beyond the session');
    await page.reload();
    await assert.doesNotReject(page.getByRole('heading', { name: 'Users', level: 1 }).waitFor());

    // Another browser session (a new context) starts logged out.
    const other = await browser.newContext({ locale: 'en-US' });
    try {
      const otherPage = await other.newPage();
      await otherPage.goto(`${server.url}/admin/#users`);
      await assert.doesNotReject(otherPage.getByLabel('Admin key').waitFor());
    } finally {
      await other.close();
    }
  });

  test('create a user from the console', async () => {
    await page.goto(`${server.url}/admin/#users`);
    await page.getByLabel('Username', { exact: true }).fill('erin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create user' }).click();
    await assert.doesNotReject(statusLine('User erin created.').waitFor());
    await assert.doesNotReject(page.getByRole('heading', { name: 'User erin' }).waitFor());
    const found = await admin('/v1/admin/users?username_prefix=erin');
    assert.deepEqual(found.body.items.map((/** @type {{username: string}} */ user) => user.username), ['erin']);
    // The new user can log in with the password typed in the console.
    const session = await call(`${server.url}/v1/wallet/sessions`, 'POST', undefined, { username: 'erin', password: PASSWORD });
    assert.equal(session.status, 201, JSON.stringify(session.body));

    // A taken username is refused in words, and nothing changes.
    await page.goto(`${server.url}/admin/#users`);
    await page.getByLabel('Username', { exact: true }).fill('erin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create user' }).click();
    await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'Refused:' }).waitFor());
    assert.equal((await admin('/v1/admin/users?username_prefix=erin')).body.items.length, 1);
  });

  test('top up: a double click tops up once, a bad amount changes nothing, a lost answer is retried once', async () => {
    const erin = (await admin('/v1/admin/users?username_prefix=erin')).body.items[0];
    await page.goto(`${server.url}/admin/#user/${erin.id}`);
    const amount = page.getByLabel('Amount (CNY)');
    await amount.fill('12.34');
    await page.getByRole('button', { name: 'Top up' }).dblclick();
    await assert.doesNotReject(statusLine('Topped up CN¥12.34.').waitFor());
    await assert.doesNotReject(page.locator('#balance').filter({ hasText: 'CN¥12.34' }).waitFor());
    assert.equal((await admin(`/v1/admin/users/${erin.id}`)).body.balance, 1234);
    assert.equal((await topupsOf(erin.id)).length, 1);
    await screenshot('admin-user-topped-up');

    for (const [typed, problem] of [
      ['12.345', 'at most 2 digits after the decimal point'],
      ['-1', 'cannot be negative'],
      ['abc', 'digits with at most one decimal point'],
      ['0', 'more than zero'],
    ]) {
      await page.getByLabel('Amount (CNY)').fill(typed);
      await page.getByRole('button', { name: 'Top up' }).click();
      await assert.doesNotReject(alertLine(problem).waitFor(), typed);
    }
    assert.equal((await admin(`/v1/admin/users/${erin.id}`)).body.balance, 1234);

    // The first answer is lost after the server made the top-up: the console says it does not
    // know, and the retry sends the same reference, so the server makes no second top-up.
    let dropped = 0;
    await page.route('**/v1/admin/topups', async (route) => {
      dropped += 1;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByLabel('Amount (CNY)').fill('5');
    await page.getByRole('button', { name: 'Top up' }).click();
    await assert.doesNotReject(alertLine('the top-up may or may not have been made').waitFor());
    await page.unroute('**/v1/admin/topups');
    assert.equal(dropped, 1);
    assert.equal((await admin(`/v1/admin/users/${erin.id}`)).body.balance, 1734, 'the lost top-up was made');
    assert.ok(await page.getByLabel('Amount (CNY)').evaluate((input) => /** @type {HTMLInputElement} */ (input).readOnly), 'the amount cannot change before the retry');
    await page.getByRole('button', { name: 'Top up' }).click();
    await assert.doesNotReject(statusLine('Topped up CN¥5.00.').waitFor());
    assert.equal((await admin(`/v1/admin/users/${erin.id}`)).body.balance, 1734);
    assert.equal((await topupsOf(erin.id)).length, 2);
    // The history on the page shows both top-ups.
    await assert.doesNotReject(page.locator('ul.transactions li').nth(1).waitFor());
    assert.equal(await page.locator('ul.transactions li').count(), 2);
  });

  test('find users by the start of the username, a page at a time', async () => {
    for (const username of ['alice', 'alfred', 'bob']) {
      await createUserThroughTheApi(username);
    }
    for (let number = 1; number <= 25; number++) {
      await createUserThroughTheApi(`member-${String(number).padStart(2, '0')}`);
    }
    await page.goto(`${server.url}/admin/#users`);
    await page.getByLabel('Username starts with').fill('al');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => location.hash === '#users?prefix=al');
    const rows = page.locator('ul.users li');
    await assert.doesNotReject(rows.nth(1).waitFor());
    assert.deepEqual(await page.locator('ul.users li strong').allTextContents(), ['alice', 'alfred']);
    await screenshot('admin-users');

    await page.getByLabel('Username starts with').fill('member-');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('ul.users li').length === 20);
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('ul.users li').length === 25);
    assert.ok(await page.getByRole('button', { name: 'Show more' }).isHidden());
    assert.equal(await page.locator('ul.users li strong').last().textContent(), 'member-25');

    await page.getByLabel('Username starts with').fill('nobody');
    await page.getByRole('button', { name: 'Search' }).click();
    await assert.doesNotReject(statusLine('No user matches.').waitFor());

    // The search survives a reload, and a match opens the user.
    await page.goto(`${server.url}/admin/#users?prefix=bo`);
    await page.getByRole('link', { name: /bob/ }).click();
    await assert.doesNotReject(page.getByRole('heading', { name: 'User bob' }).waitFor());
  });

  test('create a merchant: its key is shown once, copied, and works', async () => {
    await page.goto(`${server.url}/admin/#merchants`);
    await page.getByLabel('Merchant name').fill('Canteen No. 2');
    await page.getByRole('button', { name: 'Create merchant' }).click();
    await assert.doesNotReject(statusLine('Merchant Canteen No. 2 created').waitFor());
    await assert.doesNotReject(page.getByText('you will not see it again').waitFor());
    const key = await page.getByLabel('New API key').inputValue();
    assert.ok(key.length >= 20, key);
    const balance = await call(`${server.url}/v1/merchant/balance`, 'GET', key);
    assert.equal(balance.status, 200, 'the key shown is the merchant’s key');
    await page.getByRole('button', { name: 'Copy' }).click();
    await assert.doesNotReject(statusLine('Copied.').waitFor());
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await assert.doesNotReject(page.locator('ul.merchants li').filter({ hasText: 'Canteen No. 2' }).waitFor());
    await screenshot('admin-merchant-created');

    // Once gone from the page, the key is never shown again.
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await page.getByLabel('New API key').count(), 0);
    await page.reload();
    await assert.doesNotReject(page.locator('ul.merchants li').filter({ hasText: 'Canteen No. 2' }).waitFor());
    assert.equal(await page.getByLabel('New API key').count(), 0);
    assert.ok(!(await page.content()).includes(key));
  });

  test('a merchant’s keys: add one (shown once), revoke one after a confirmation', async () => {
    await page.goto(`${server.url}/admin/#merchants`);
    await page.locator('ul.merchants li').filter({ hasText: 'Canteen No. 2' }).getByRole('link', { name: 'API keys' }).click();
    await assert.doesNotReject(page.getByRole('heading', { name: 'Merchant Canteen No. 2' }).waitFor());
    const merchantId = Number(new URL(page.url()).hash.split('/')[1]);
    assert.equal(await page.locator('ul.keys li').count(), 1);

    await page.getByRole('button', { name: 'Add a key' }).click();
    const key = await page.getByLabel('New API key').inputValue();
    assert.equal((await call(`${server.url}/v1/merchant/balance`, 'GET', key)).status, 200);
    await page.waitForFunction(() => document.querySelectorAll('ul.keys li').length === 2);
    await screenshot('admin-merchant-keys');

    const listed = await admin(`/v1/admin/merchants/${merchantId}/keys`);
    const newest = listed.body.items[listed.body.items.length - 1];
    const row = page.locator(`ul.keys li[data-key="${newest.id}"]`);
    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await call(`${server.url}/v1/merchant/balance`, 'GET', key)).status, 200, 'cancel keeps the key');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Yes, revoke it' }).click();
    await assert.doesNotReject(statusLine(`Key ${newest.id} revoked.`).waitFor());
    assert.equal((await call(`${server.url}/v1/merchant/balance`, 'GET', key)).status, 401, 'the revoked key stops working');
    await assert.doesNotReject(page.locator(`ul.keys li[data-key="${newest.id}"]`).filter({ hasText: 'revoked' }).waitFor());
  });

  test('a merchant’s webhook: set from the console (secret shown once), then removed after a confirmation', async () => {
    const merchant = await createMerchantThroughTheApi('Noodle Bar');
    const webhookOfMerchant = () => admin(`/v1/admin/merchants/${merchant.id}/webhook`);
    await page.goto(`${server.url}/admin/#merchant/${merchant.id}`);
    await assert.doesNotReject(page.getByRole('heading', { name: 'Merchant Noodle Bar' }).waitFor());
    const section = page.locator('section.card').filter({ has: page.getByRole('heading', { name: 'Webhook' }) });
    await assert.doesNotReject(section.locator('.webhook-url').filter({ hasText: 'none' }).waitFor());
    assert.equal(await section.getByRole('button', { name: 'Remove webhook' }).isVisible(), false, 'nothing to remove');

    const urlField = section.getByLabel('Webhook URL');
    assert.equal(await urlField.getAttribute('type'), 'url');
    await urlField.fill('not a url');
    await section.getByRole('button', { name: 'Set webhook' }).click();
    assert.equal(await urlField.evaluate((input) => /** @type {HTMLInputElement} */ (input).validity.valid), false);
    assert.deepEqual((await webhookOfMerchant()).body, { url: null }, 'a bad URL sets nothing');

    const url = 'https://shop.example/paycode-hook';
    await urlField.fill(url);
    await section.getByRole('button', { name: 'Set webhook' }).click();
    const secretField = page.getByLabel('New signing secret');
    await assert.doesNotReject(secretField.waitFor());
    const secret = await secretField.inputValue();
    assert.match(secret, /^whsec_/);
    await assert.doesNotReject(alertLine('you will not see it again').waitFor());
    await section.getByRole('button', { name: 'Copy' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await assert.doesNotReject(section.locator('.webhook-url').filter({ hasText: url }).waitFor());
    const stored = await webhookOfMerchant();
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.body, { url }, 'the API answers the URL and never the secret');

    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await section.scrollIntoViewIfNeeded();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, 'the webhook section is wider than the screen');
      await section.screenshot({ path: new URL('admin-360-webhook.png', SCREENSHOTS).pathname });
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }

    await section.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await secretField.count(), 0, 'the secret is gone once copied');
    await page.reload();
    await assert.doesNotReject(page.locator('.webhook-url').filter({ hasText: url }).waitFor());
    assert.equal(await page.getByLabel('New signing secret').count(), 0, 'the secret is never shown again');

    await page.getByRole('button', { name: 'Remove webhook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await webhookOfMerchant()).status, 200, 'cancel keeps the webhook');
    await page.getByRole('button', { name: 'Remove webhook' }).click();
    await dialog.getByRole('button', { name: 'Yes, remove it' }).click();
    await assert.doesNotReject(statusLine('Webhook removed.').waitFor());
    await assert.doesNotReject(page.locator('.webhook-url').filter({ hasText: 'none' }).waitFor());
    const removed = await webhookOfMerchant();
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body, { url: null });
  });

  test('a device locked by wrong codes is shown locked, unlocked from the console, and pays again', async () => {
    const dora = await createUserThroughTheApi('dora');
    await admin('/v1/admin/topups', 'POST', { user_id: dora.id, amount: 50_000, reference: 'dora-first' });
    const { phone, impostor } = await enrollPhone(server.url, 'dora', PASSWORD, 'Dora’s phone');
    const shops = [await createMerchantThroughTheApi('Kiosk A'), await createMerchantThroughTheApi('Kiosk B'), await createMerchantThroughTheApi('Kiosk C')];
    let index = 0;
    for (const shop of shops.slice(0, 2)) {
      for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
        const wrong = await pay(server.url, shop.api_key, { out_trade_no: `wrong-${index}`, auth_code: await impostor.code(index % 10), amount: 100 });
        assert.equal(wrong.body.error?.code, 'CODE_INVALID', JSON.stringify(wrong.body));
        index += 1;
      }
    }
    const refused = await pay(server.url, shops[2].api_key, { out_trade_no: 'locked-1', auth_code: await phone.code(0), amount: 100 });
    assert.equal(refused.body.error?.code, 'DEVICE_LOCKED', JSON.stringify(refused.body));

    await page.goto(`${server.url}/admin/#users?prefix=dora`);
    await page.getByRole('link', { name: /dora/ }).click();
    const row = page.locator(`ul.devices li[data-device="${phone.deviceId}"]`);
    await assert.doesNotReject(row.filter({ hasText: 'Locked at every shop until' }).waitFor());
    await assert.doesNotReject(row.filter({ hasText: `${2 * MAX_FAILED_ATTEMPTS} failed codes recently` }).waitFor());
    await screenshot('admin-device-locked');

    await row.getByRole('button', { name: 'Unlock' }).click();
    await assert.doesNotReject(statusLine('Device Dora’s phone unlocked').waitFor());
    await assert.doesNotReject(page.locator(`ul.devices li[data-device="${phone.deviceId}"]`).filter({ hasText: 'Active' }).waitFor());
    const device = (await admin(`/v1/admin/users/${dora.id}`)).body.devices[0];
    assert.equal(device.locked_until, null);
    assert.equal(device.failed_attempts, 0);
    const paid = await pay(server.url, shops[0].api_key, { out_trade_no: 'console-order-1', auth_code: await phone.code(1), amount: 2_500, subject: 'Noodles', terminal_id: 'till-7' });
    assert.equal(paid.body.status, 'SUCCESS', JSON.stringify(paid.body));
    paymentsMade += 1;
  });

  test('revoking a device asks first, then its codes stop working', async () => {
    const frank = await createUserThroughTheApi('frank');
    await admin('/v1/admin/topups', 'POST', { user_id: frank.id, amount: 10_000, reference: 'frank-first' });
    const { phone } = await enrollPhone(server.url, 'frank', PASSWORD, 'Frank’s phone');
    await page.goto(`${server.url}/admin/#user/${frank.id}`);
    const row = page.locator(`ul.devices li[data-device="${phone.deviceId}"]`);
    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await assert.doesNotReject(dialog.getByText('Revoke Frank’s phone?').waitFor());
    await screenshot('admin-revoke-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await admin(`/v1/admin/users/${frank.id}`)).body.devices[0].status, 'active');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Yes, revoke it' }).click();
    await assert.doesNotReject(statusLine('Device Frank’s phone revoked.').waitFor());
    await assert.doesNotReject(page.locator(`ul.devices li[data-device="${phone.deviceId}"]`).filter({ hasText: 'Revoked' }).waitFor());
    assert.equal((await admin(`/v1/admin/users/${frank.id}`)).body.devices[0].status, 'revoked');
    const shop = await createMerchantThroughTheApi('Kiosk D');
    const refused = await pay(server.url, shop.api_key, { out_trade_no: 'after-revoke', auth_code: await phone.code(0), amount: 100 });
    assert.equal(refused.body.error?.code, 'DEVICE_REVOKED', JSON.stringify(refused.body));
  });

  test('the health screen shows the server up and the ledger check ok', async () => {
    await page.goto(`${server.url}/admin/#health`);
    await assert.doesNotReject(statusLine('The server and its database (sqlite) answer.').waitFor());
    await assert.doesNotReject(page.locator('#ledger-result').getByRole('status').filter({ hasText: 'The ledger is consistent' }).waitFor());
    const check = await admin('/v1/admin/ledger/check');
    assert.equal(check.body.ok, true);
    await assert.doesNotReject(page.getByText(`${check.body.accounts} accounts, ${check.body.transactions} transactions`).waitFor());
    assert.equal(await page.locator('#ledger-result').getByRole('alert').count(), 0);

    // A broken ledger (made up here: the real one holds) is said plainly, with what is wrong.
    await page.route('**/v1/admin/ledger/check', (route) =>
      route.fulfill({ json: { ...check.body, ok: false, sum_of_balances: -500, negative_user_accounts: 1 } }),
    );
    await page.getByRole('button', { name: 'Check again' }).click();
    const result = page.locator('#ledger-result');
    await assert.doesNotReject(result.getByRole('alert').filter({ hasText: 'The ledger check FAILED' }).waitFor());
    assert.deepEqual(await result.locator('ul.failures li').allTextContents(), ['Sum of all balances: -500 (must be 0)', 'User accounts below zero: 1']);
    await screenshot('admin-ledger-broken');
    await page.unroute('**/v1/admin/ledger/check');
  });

  test('the trade search finds a payment by its merchant and order number', async () => {
    const kiosk = (await admin('/v1/admin/merchants?limit=100')).body.items.find((/** @type {{name: string}} */ merchant) => merchant.name === 'Kiosk A');
    await page.goto(`${server.url}/admin/#trades`);
    await assert.doesNotReject(page.getByRole('heading', { name: 'Trades', level: 1 }).waitFor());
    await page.getByLabel('Merchant id').fill(String(kiosk.id));
    await page.getByLabel('Merchant’s order number').fill('console-order-1');
    await page.getByLabel('Day').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('ul.trades li');
    await assert.doesNotReject(rows.first().waitFor());
    assert.equal(await rows.count(), 1);
    const text = (await rows.first().textContent()) ?? '';
    for (const expected of ['Kiosk A', 'console-order-1', 'dora', 'CN¥25.00', 'Paid', 'till till-7', 'Noodles']) {
      assert.ok(text.includes(expected), `${expected} in ${text}`);
    }
    await screenshot('admin-trades');

    // An order number without a merchant is explained before asking the server.
    await page.getByLabel('Merchant id').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await assert.doesNotReject(alertLine('fill in the merchant id too').waitFor());
    assert.equal(await page.locator('ul.trades li').count(), 0);
  });

  test('the day’s figures show the payments made today', async () => {
    await page.goto(`${server.url}/admin/#health`);
    const payments = page.locator('[data-figure="payments"] .figure-value');
    await assert.doesNotReject(payments.waitFor());
    // The day shown is the server's today (days are cut in the deployment's time zone).
    const date = await page.getByLabel('Day').inputValue();
    const summary = await admin('/v1/admin/summary');
    assert.equal(date, summary.body.date);
    assert.equal(summary.status, 200, JSON.stringify(summary.body));
    assert.equal(summary.body.payments, paymentsMade);
    assert.equal(await payments.textContent(), String(paymentsMade));
    await assert.doesNotReject(page.locator('ul.refusals li').filter({ hasText: 'DEVICE_LOCKED' }).waitFor());

    // The settlement of the same day: one row per merchant the API lists, with its totals.
    const settlement = await admin(`/v1/admin/settlements/${date}`);
    assert.equal(settlement.status, 200, JSON.stringify(settlement.body));
    assert.ok(settlement.body.items.length > 0, 'the tests made payments today');
    const rows = page.locator('table.settlement tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), settlement.body.items.length);
    let countShown = 0;
    for (const item of settlement.body.items) {
      const cells = page.locator(`table.settlement tr[data-merchant="${item.merchant_id}"] td`);
      assert.equal(await page.locator(`table.settlement tr[data-merchant="${item.merchant_id}"] th`).textContent(), item.merchant_name);
      assert.equal(await cells.nth(3).textContent(), String(item.totals.count));
      assert.notEqual(await cells.nth(0).textContent(), '', 'gross is shown');
      countShown += item.totals.count;
    }
    assert.ok(countShown >= paymentsMade, 'every payment of the day is in some merchant’s count');
    await screenshot('admin-health');
  });

  test('at 360 px every screen fits the width', async () => {
    const narrow = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-US', deviceScaleFactor: 2 });
    try {
      const phonePage = await narrow.newPage();
      watchForProblems(phonePage);
      await phonePage.goto(`${server.url}/admin/`);
      await phonePage.getByLabel('Admin key').fill(ADMIN_KEY);
      await phonePage.getByRole('button', { name: 'Log in' }).click();
      const dora = (await admin('/v1/admin/users?username_prefix=dora')).body.items[0];
      for (const [name, hash] of [
        ['users', '#users?prefix=a'],
        ['user', `#user/${dora.id}`],
        ['merchants', '#merchants'],
        ['trades', '#trades'],
        ['health', '#health'],
      ]) {
        await phonePage.goto(`${server.url}/admin/${hash}`);
        await phonePage.locator('h1').first().waitFor();
        await phonePage.waitForLoadState('networkidle');
        const overflow = await phonePage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `${name} is wider than the screen`);
        await screenshot(`admin-360-${name}`, phonePage);
      }
    } finally {
      await narrow.close();
    }
  });

  test('Chinese browsers get the Chinese strings', async () => {
    const chinese = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1024, height: 700 } });
    try {
      const chinesePage = await chinese.newPage();
      await chinesePage.goto(`${server.url}/admin/`);
      await assert.doesNotReject(chinesePage.getByLabel('管理员密钥').waitFor());
      await chinesePage.getByLabel('管理员密钥').fill(ADMIN_KEY);
      await chinesePage.getByRole('button', { name: '登录' }).click();
      await assert.doesNotReject(chinesePage.getByRole('link', { name: '商户' }).waitFor());
      await chinesePage.screenshot({ path: new URL('admin-zh-CN.png', SCREENSHOTS).pathname });
    } finally {
      await chinese.close();
    }
  });

  test('logging out removes the key, and a refused key sends back to the login', async () => {
    await page.goto(`${server.url}/admin/#users`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await assert.doesNotReject(statusLine('Logged out.').waitFor());
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.goto(`${server.url}/admin/#merchants`);
    await assert.doesNotReject(page.getByLabel('Admin key').waitFor());

    // A key the server stops accepting (here: one that was never right) logs out at the
    // first call.
    await page.evaluate(() => sessionStorage.setItem('paycode-admin-key', 'stale-key'));
    await page.goto(`${server.url}/admin/#merchants`);
    await assert.doesNotReject(alertLine('no longer accepts this admin key').waitFor());
    await assert.doesNotReject(page.getByLabel('Admin key').waitFor());
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });

  test('the pages broke no Content-Security-Policy rule and threw no error', () => {
    assert.deepEqual(pageProblems, []);
  });
});
