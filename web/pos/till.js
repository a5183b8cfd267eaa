// The till's model: its settings (merchant key, terminal id, currency), the charge counter, the
// charge and refunds whose outcome is not known yet, the server's clock, and the calls the
// screens make. Everything is kept in this browser's localStorage, whose writes are synchronous:
// a reference is written down before the request that uses it leaves, so a reload (or a crash)
// finds it and asks again with the same reference instead of charging twice.
import { Api, ApiError, UNREACHABLE } from '../shared/api.js';
import { outRefundNo, outTradeNo, retryDelayMilliseconds } from './references.js';

/** The keys the till keeps in localStorage. */
const KEYS = {
  settings: 'paycode.pos.settings',
  counter: 'paycode.pos.counter',
  pending: 'paycode.pos.pending_charge',
  refunds: 'paycode.pos.pending_refunds',
};

/**
 * @typedef {object} Settings
 * @property {string} apiKey the merchant's API key
 * @property {string} terminalId
 * @property {string} currency the deployment's, learnt from the balance when the key was checked
 */

/**
 * What `POST /v1/payments` gets for one charge; sent unchanged on every try.
 * @typedef {object} PayRequest
 * @property {string} out_trade_no
 * @property {string} auth_code
 * @property {number} amount
 * @property {string} terminal_id
 */

/**
 * A charge whose outcome is not known yet: being sent (or retried), or waiting for the customer
 * to confirm with the PIN.
 * @typedef {object} PendingCharge
 * @property {PayRequest} request
 * @property {'sending' | 'waiting'} phase
 * @property {string} [confirm_deadline] while waiting, until when the customer may confirm
 */

/**
 * A refund whose answer has not come yet, by the trade's out_trade_no.
 * @typedef {Record<string, {out_refund_no: string, amount: number}>} PendingRefunds
 */

/**
 * A trade as the API returns it (the fields the till uses).
 * @typedef {object} Trade
 * @property {string} trade_no
 * @property {string} out_trade_no
 * @property {'USER_PAYING' | 'SUCCESS' | 'CLOSED' | 'REVERSED'} status
 * @property {number} amount
 * @property {number} refunded_amount
 * @property {string} currency
 * @property {string} created_at
 * @property {string | null} [paid_at]
 * @property {string | null} [confirm_deadline]
 * @property {string | null} [terminal_id]
 * @property {string | null} [subject]
 */

/** The server's default `user_paying_timeout`, for a waiting trade that names no deadline. */
export const DEFAULT_CONFIRM_SECONDS = 60;

/**
 * Whether the request may have reached the server without its answer reaching us, so that only
 * asking again (with the same reference) tells the outcome: no answer at all, a server error, a
 * proxy's error page, or the same reference still being worked on.
 * @param {unknown} error
 */
export function outcomeUnknown(error) {
  if (!(error instanceof ApiError)) {
    return false;
  }
  return error.code === UNREACHABLE || error.status >= 500 || error.code === 'REQUEST_IN_PROGRESS';
}

/** @param {number} milliseconds */
const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

export class Till {
  /** @param {Storage} storage */
  constructor(storage = localStorage) {
    this.storage = storage;
    /** Server clock minus this device's, in milliseconds; the last one measured. */
    this.clockOffsetMilliseconds = 0;
    this.api = new Api((offset) => {
      this.clockOffsetMilliseconds = offset;
    });
  }

  /**
   * @param {string} key
   * @returns {any}
   */
  read(key) {
    const text = this.storage.getItem(key);
    if (text === null) {
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  /**
   * @param {string} key
   * @param {unknown} value
   */
  write(key, value) {
    this.storage.setItem(key, JSON.stringify(value));
  }

  /** @returns {Settings | undefined} */
  get settings() {
    return this.read(KEYS.settings);
  }

  /** @param {Settings} settings */
  saveSettings(settings) {
    this.write(KEYS.settings, settings);
  }

  /**
   * Forgets the key and the terminal id. The counter stays, so that a till set up again under
   * the same terminal id never makes a reference it made before.
   */
  forget() {
    this.storage.removeItem(KEYS.settings);
    this.storage.removeItem(KEYS.refunds);
  }

  /** The time on the server's clock now, in milliseconds, as far as this till knows. */
  serverNow() {
    return Date.now() + this.clockOffsetMilliseconds;
  }

  /**
   * Takes the next number of the till's counter and writes it down before returning it.
   * @returns {number}
   */
  takeCounter() {
    const next = (Number(this.read(KEYS.counter)) || 0) + 1;
    this.write(KEYS.counter, next);
    return next;
  }

  /** A fresh `out_trade_no` for this till. */
  newOutTradeNo() {
    return outTradeNo(this.requireSettings().terminalId, new Date(), this.takeCounter());
  }

  /** A fresh `out_refund_no` for this till. */
  newOutRefundNo() {
    return outRefundNo(this.requireSettings().terminalId, new Date(), this.takeCounter());
  }

  /** @returns {Settings} */
  requireSettings() {
    const settings = this.settings;
    if (!settings) {
      throw new Error('the till is not set up');
    }
    return settings;
  }

  /** @returns {PendingCharge | undefined} */
  get pendingCharge() {
    return this.read(KEYS.pending);
  }

  /** @param {PendingCharge} charge */
  savePendingCharge(charge) {
    this.write(KEYS.pending, charge);
  }

  clearPendingCharge() {
    this.storage.removeItem(KEYS.pending);
  }

  /** @returns {PendingRefunds} */
  get pendingRefunds() {
    return this.read(KEYS.refunds) ?? {};
  }

  /**
   * The refund of `outTradeNo` already on its way with `amount`, or a new one written down
   * before it is sent, so that a double click or a retry refunds once.
   * @param {string} outTradeNoOfTrade
   * @param {number} amount
   */
  refundFor(outTradeNoOfTrade, amount) {
    const pending = this.pendingRefunds;
    const existing = pending[outTradeNoOfTrade];
    if (existing && existing.amount === amount) {
      return existing;
    }
    const refund = { out_refund_no: this.newOutRefundNo(), amount };
    pending[outTradeNoOfTrade] = refund;
    this.write(KEYS.refunds, pending);
    return refund;
  }

  /** @param {string} outTradeNoOfTrade */
  clearPendingRefund(outTradeNoOfTrade) {
    const pending = this.pendingRefunds;
    delete pending[outTradeNoOfTrade];
    this.write(KEYS.refunds, pending);
  }

  /**
   * One call with this till's key (or `apiKey`, while it is being checked).
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {string} [apiKey]
   */
  call(method, path, body, apiKey) {
    return this.api.request(method, path, { token: apiKey ?? this.requireSettings().apiKey, body });
  }

  /**
   * Sends the same request until an answer comes: an outcome or a refusal. Only a lost answer
   * (see {@link outcomeUnknown}) is retried, with backoff, and `onRetry` is told before each
   * wait. Stops (throwing the last error) when `isStopped` says so, as when the screen is left:
   * the pending charge stays written down and is resumed there.
   * @param {string} method
   * @param {string} path
   * @param {unknown} body
   * @param {{onRetry?: (attempt: number) => void, isStopped?: () => boolean}} [hooks]
   */
  async untilAnswered(method, path, body, { onRetry = () => {}, isStopped = () => false } = {}) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(method, path, body);
      } catch (error) {
        if (!outcomeUnknown(error) || isStopped()) {
          throw error;
        }
        onRetry(attempt);
        await sleep(retryDelayMilliseconds(attempt));
      }
    }
  }
}
