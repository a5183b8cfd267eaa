// The console's model: the admin key of this browser session and every admin call the screens
// make. The key lives in `sessionStorage` only, so it is gone when the tab or the browser is
// closed, and "Log out" removes it at once.
import { Api, ApiError } from '../shared/api.js';

/** The `sessionStorage` entry holding the admin key. */
export const KEY_STORAGE_NAME = 'paycode-admin-key';

/** Items per page of every list the console shows. */
export const PAGE_SIZE = 20;

/**
 * @typedef {object} User
 * @property {number} id
 * @property {string} username
 * @property {number} account_id
 * @property {string} created_at
 */

/**
 * @typedef {object} Device
 * @property {number} id
 * @property {string | null} name
 * @property {'active' | 'revoked'} status
 * @property {number} failed_attempts
 * @property {string | null} locked_until
 * @property {string} created_at
 * @property {string | null} last_used_at
 */

/**
 * @typedef {object} UserOverview
 * @property {User} user
 * @property {number} balance
 * @property {string} currency
 * @property {boolean} pin_set
 * @property {string | null} pin_locked_until
 * @property {Device[]} devices
 */

/**
 * @typedef {object} Transaction
 * @property {number} transaction_id
 * @property {string} kind
 * @property {string} reference
 * @property {number} amount signed: negative when money left the account
 * @property {string} created_at
 */

/**
 * @typedef {object} Merchant
 * @property {number} id
 * @property {string} name
 * @property {string} created_at
 * @property {string} [api_key] only when just made
 * @property {number} [api_key_id]
 */

/**
 * @typedef {object} MerchantKeyInfo
 * @property {number} id
 * @property {string} created_at
 * @property {string | null} revoked_at
 */

/**
 * @typedef {object} Trade
 * @property {string} trade_no
 * @property {string} out_trade_no
 * @property {'SUCCESS' | 'USER_PAYING' | 'CLOSED' | 'REVERSED'} status
 * @property {number} amount
 * @property {number} refunded_amount
 * @property {string} currency
 * @property {string} created_at
 * @property {string | null} paid_at
 * @property {number} merchant_id
 * @property {string} merchant_name
 * @property {number} user_id
 * @property {string} username
 * @property {string | null} terminal_id
 * @property {string | null} subject
 */

/**
 * What `GET /v1/admin/trades` filters on; empty fields are left out.
 * @typedef {object} TradeFilter
 * @property {string} [merchant_id]
 * @property {string} [out_trade_no]
 * @property {string} [trade_no]
 * @property {string} [status]
 * @property {string} [date] YYYY-MM-DD
 */

/**
 * @typedef {object} LedgerCheck
 * @property {boolean} ok
 * @property {number} sum_of_balances
 * @property {number} sum_of_postings
 * @property {number} negative_user_accounts
 * @property {number} accounts_not_matching_postings
 * @property {number} unbalanced_transactions
 * @property {number} trades_with_bad_refunds
 * @property {number} accounts
 * @property {number} transactions
 */

/**
 * @typedef {object} Summary
 * @property {string} date
 * @property {string} time_zone
 * @property {string} currency
 * @property {number} payments
 * @property {number} volume
 * @property {number} refunds
 * @property {number} refunded
 * @property {number} user_paying
 * @property {Record<string, number>} refusals
 * @property {number} locked_devices
 * @property {number} users
 * @property {number} merchants
 */

/**
 * @typedef {object} SettlementItem
 * @property {number} merchant_id
 * @property {string} merchant_name
 * @property {{gross: number, refunds: number, net: number, count: number}} totals in minor units;
 *   `count` is the statement's rows (payments, refunds and reversals)
 */

/**
 * @typedef {object} Settlement
 * @property {string} date
 * @property {string} time_zone
 * @property {string} currency
 * @property {SettlementItem[]} items every merchant whose account moved that day
 */

/**
 * A query string from the fields that have a value.
 * @param {Record<string, string | number | undefined | null>} fields
 */
export function queryString(fields) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== '') {
      query.set(name, String(value));
    }
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** The operator's session and calls. */
export class AdminClient {
  /** @param {(() => void)} onKeyRefused told when the server refuses the stored key */
  constructor(onKeyRefused) {
    this.api = new Api();
    this.onKeyRefused = onKeyRefused;
  }

  /** The admin key of this browser session, if logged in. */
  get key() {
    return sessionStorage.getItem(KEY_STORAGE_NAME);
  }

  /**
   * Checks `key` with a cheap admin call and keeps it for this session when it works.
   * @param {string} key
   * @throws {ApiError} `UNAUTHENTICATED` for a wrong key
   */
  async logIn(key) {
    await this.api.request('GET', '/v1/admin/merchants?limit=1', { token: key });
    sessionStorage.setItem(KEY_STORAGE_NAME, key);
  }

  /** Forgets the key. */
  logOut() {
    sessionStorage.removeItem(KEY_STORAGE_NAME);
  }

  /**
   * An admin call with the stored key; a refused key logs out.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async call(method, path, body) {
    const token = this.key;
    if (!token) {
      this.onKeyRefused();
      throw new ApiError('UNAUTHENTICATED', 'not logged in', 401);
    }
    try {
      return await this.api.request(method, path, { token, body });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.logOut();
        this.onKeyRefused();
      }
      throw error;
    }
  }

  /**
   * @param {string} prefix
   * @param {number | null} [after]
   * @returns {Promise<{items: User[], next_after: number | null}>}
   */
  users(prefix, after) {
    return this.call('GET', `/v1/admin/users${queryString({ username_prefix: prefix, after, limit: PAGE_SIZE })}`);
  }

  /**
   * @param {string} username
   * @param {string} password
   * @returns {Promise<User>}
   */
  createUser(username, password) {
    return this.call('POST', '/v1/admin/users', { username, password });
  }

  /**
   * @param {number} id
   * @returns {Promise<UserOverview>}
   */
  user(id) {
    return this.call('GET', `/v1/admin/users/${id}`);
  }

  /**
   * @param {number} id
   * @param {number | null} [before]
   * @returns {Promise<{items: Transaction[], next_before: number | null}>}
   */
  transactions(id, before) {
    return this.call('GET', `/v1/admin/users/${id}/transactions${queryString({ before, limit: PAGE_SIZE })}`);
  }

  /**
   * Credits the user; the same `reference` again returns the first top-up instead of making
   * a second one.
   * @param {number} userId
   * @param {number} amount minor units
   * @param {string} reference
   */
  topup(userId, amount, reference) {
    return this.call('POST', '/v1/admin/topups', { user_id: userId, amount, reference });
  }

  /**
   * @param {number} deviceId
   * @returns {Promise<Device>}
   */
  unlockDevice(deviceId) {
    return this.call('POST', `/v1/admin/devices/${deviceId}/unlock`);
  }

  /**
   * @param {number} deviceId
   * @returns {Promise<Device>}
   */
  revokeDevice(deviceId) {
    return this.call('POST', `/v1/admin/devices/${deviceId}/revoke`);
  }

  /**
   * @param {number | null} [after]
   * @param {number} [limit]
   * @returns {Promise<{items: Merchant[], next_after: number | null}>}
   */
  merchants(after, limit = PAGE_SIZE) {
    return this.call('GET', `/v1/admin/merchants${queryString({ after, limit })}`);
  }

  /**
   * The merchant with id `id`, or null: the page of one merchant after `id - 1`.
   * @param {number} id
   * @returns {Promise<Merchant | null>}
   */
  async merchant(id) {
    const page = await this.merchants(id - 1, 1);
    return page.items.find((merchant) => merchant.id === id) ?? null;
  }

  /**
   * @param {string} name
   * @returns {Promise<Merchant>} with its first `api_key`
   */
  createMerchant(name) {
    return this.call('POST', '/v1/admin/merchants', { name });
  }

  /**
   * @param {number} merchantId
   * @returns {Promise<{items: MerchantKeyInfo[]}>}
   */
  merchantKeys(merchantId) {
    return this.call('GET', `/v1/admin/merchants/${merchantId}/keys`);
  }

  /**
   * @param {number} merchantId
   * @returns {Promise<{merchant_id: number, api_key_id: number, api_key: string}>}
   */
  addMerchantKey(merchantId) {
    return this.call('POST', `/v1/admin/merchants/${merchantId}/keys`);
  }

  /**
   * @param {number} merchantId
   * @param {number} keyId
   */
  revokeMerchantKey(merchantId, keyId) {
    return this.call('DELETE', `/v1/admin/merchants/${merchantId}/keys/${keyId}`);
  }

  /**
   * The merchant's webhook URL, or null when it has none.
   * @param {number} merchantId
   * @returns {Promise<string | null>}
   */
  async merchantWebhook(merchantId) {
    /** @type {{url: string | null}} */
    const webhook = await this.call('GET', `/v1/admin/merchants/${merchantId}/webhook`);
    return webhook.url;
  }


  /**
   * Sets the merchant's webhook; the signing secret in the answer is shown this once.
   * @param {number} merchantId
   * @param {string} url
   * @returns {Promise<{url: string, secret: string}>}
   */
  setMerchantWebhook(merchantId, url) {
    return this.call('PUT', `/v1/admin/merchants/${merchantId}/webhook`, { url });
  }

  /** @param {number} merchantId */
  deleteMerchantWebhook(merchantId) {
    return this.call('DELETE', `/v1/admin/merchants/${merchantId}/webhook`);
  }

  /**
   * @param {TradeFilter} filter
   * @param {number | null} [before]
   * @returns {Promise<{items: Trade[], next_before: number | null}>}
   */
  trades(filter, before) {
    return this.call('GET', `/v1/admin/trades${queryString({ ...filter, before, limit: PAGE_SIZE })}`);
  }

  /** @returns {Promise<LedgerCheck>} */
  ledgerCheck() {
    return this.call('GET', '/v1/admin/ledger/check');
  }

  /**
   * @param {string} date YYYY-MM-DD in the deployment's time zone, or empty for its today
   * @returns {Promise<Summary>}
   */
  summary(date) {
    return this.call('GET', `/v1/admin/summary${queryString({ date })}`);
  }

  /**
   * Every merchant's totals of a day, reconciling with the ledger.
   * @param {string} date YYYY-MM-DD in the deployment's time zone
   * @returns {Promise<Settlement>}
   */
  settlement(date) {
    return this.call('GET', `/v1/admin/settlements/${encodeURIComponent(date)}`);
  }

  /** @returns {Promise<{status: string, database: string}>} */
  health() {
    return this.api.request('GET', '/healthz');
  }
}
