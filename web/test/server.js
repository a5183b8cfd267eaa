// A real `paycode serve` (the debug binary cargo built) on a fresh data directory and a free
// port, and the admin and merchant calls the browser tests make around the wallet.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN_KEY = 'browser-test-admin-key-0123456789';

/** The binary under test: PAYCODE_BIN, or the workspace's debug build. */
export const PAYCODE_BIN = process.env.PAYCODE_BIN ?? new URL('../../target/debug/paycode', import.meta.url).pathname;

/** @returns {Promise<number>} a port nobody listens on now */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * @typedef {object} RunningServer
 * @property {string} url
 * @property {() => string} output what the server printed so far
 * @property {() => Promise<void>} stop
 */

/** @returns {Promise<RunningServer>} */
export async function startServer() {
  if (!existsSync(PAYCODE_BIN)) {
    throw new Error(`${PAYCODE_BIN} is missing: run \`cargo build -p paycode-cli\` first`);
  }
  const dataDirectory = mkdtempSync(join(tmpdir(), 'paycode-web-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(PAYCODE_BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDirectory, '--admin-key', ADMIN_KEY], {
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const health = await fetch(`${url}/healthz`);
      if (health.ok) {
        break;
      }
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`paycode serve did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}

/**
 * A JSON call; answers `{status, body}` whatever the status.
 * @param {string} url
 * @param {string} method
 * @param {string | undefined} credential
 * @param {unknown} [body]
 * @returns {Promise<{status: number, body: any}>}
 */
export async function call(url, method, credential, body) {
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/json' };
  if (credential) {
    headers.Authorization = `Bearer ${credential}`;
  }
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * Makes a user with `balance` minor units and a merchant, through the admin API.
 * @param {string} url
 * @param {{username: string, password: string, balance: number, merchant: string}} spec
 */
export async function seed(url, { username, password, balance, merchant }) {
  const user = await call(`${url}/v1/admin/users`, 'POST', ADMIN_KEY, { username, password });
  if (user.status !== 200 && user.status !== 201) {
    throw new Error(`creating the user failed: ${JSON.stringify(user)}`);
  }
  await call(`${url}/v1/admin/topups`, 'POST', ADMIN_KEY, { user_id: user.body.id, amount: balance, reference: `seed-${username}` });
  const shop = await call(`${url}/v1/admin/merchants`, 'POST', ADMIN_KEY, { name: merchant });
  return { userId: user.body.id, merchantKey: shop.body.api_key };
}

/**
 * {@link startServer} with a configuration file holding `toml` (such as a short
 * `user_paying_timeout_seconds`), passed through `PAYCODE_CONFIG`.
 * @param {string} toml
 * @returns {Promise<RunningServer>}
 */
export async function startServerWithConfig(toml) {
  const directory = mkdtempSync(join(tmpdir(), 'paycode-config-'));
  const path = join(directory, 'paycode.toml');
  writeFileSync(path, toml);
  const previous = process.env.PAYCODE_CONFIG;
  process.env.PAYCODE_CONFIG = path;
  try {
    const server = await startServer();
    return {
      ...server,
      async stop() {
        await server.stop();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  } finally {
    if (previous === undefined) {
      delete process.env.PAYCODE_CONFIG;
    } else {
      process.env.PAYCODE_CONFIG = previous;
    }
  }
}
