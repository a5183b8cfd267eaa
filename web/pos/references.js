// The till's references and retry timing, as pure functions of their inputs (no storage, no
// clock), so that tests cover them without a browser.

/** A terminal id as the till accepts it: short enough that every reference fits in 64. */
export const TERMINAL_ID_PATTERN = /^[A-Za-z0-9_.-]{1,24}$/;

/** The API's rule for `out_trade_no` and `out_refund_no`. */
export const REFERENCE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A payment code as the API takes it. */
export const PAYMENT_CODE_PATTERN = /^[0-9]{18}$/;

/** The first wait before a request whose answer was lost is sent again. */
export const FIRST_RETRY_MILLISECONDS = 1000;

/** The longest wait between two tries of the same request. */
export const LONGEST_RETRY_MILLISECONDS = 10_000;

/**
 * `date` as `YYYYMMDDhhmmss` in UTC.
 * @param {Date} date
 */
function compactTime(date) {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The merchant reference of one charge: the terminal id, the time in UTC to the second and the
 * till's charge counter, such as `till-1-20261202083015-42`. The counter is kept across
 * reloads, so no two charges of a till share one even within a second or after the clock is
 * set back.
 * @param {string} terminalId matching {@link TERMINAL_ID_PATTERN}
 * @param {Date} now
 * @param {number} counter a non-negative safe integer
 */
export function outTradeNo(terminalId, now, counter) {
  return reference('', terminalId, now, counter);
}

/**
 * The merchant reference of one refund, made like {@link outTradeNo} with an `R-` in front, so
 * that the two never look alike.
 * @param {string} terminalId
 * @param {Date} now
 * @param {number} counter
 */
export function outRefundNo(terminalId, now, counter) {
  return reference('R-', terminalId, now, counter);
}

/**
 * @param {string} prefix
 * @param {string} terminalId
 * @param {Date} now
 * @param {number} counter
 */
function reference(prefix, terminalId, now, counter) {
  if (!TERMINAL_ID_PATTERN.test(terminalId)) {
    throw new Error(`not a terminal id: ${JSON.stringify(terminalId)}`);
  }
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new Error(`not a counter: ${counter}`);
  }
  const made = `${prefix}${terminalId}-${compactTime(now)}-${counter}`;
  // 2 + 24 + 1 + 14 + 1 + 16 digits at most: always within the API's 64.
  if (!REFERENCE_PATTERN.test(made)) {
    throw new Error(`reference out of the API's rule: ${made}`);
  }
  return made;
}

/**
 * A code as a scanner or a cashier gives it: the spaces of the grouped digits the wallet shows
 * are dropped; anything but 18 digits is refused (null).
 * @param {string} text
 * @returns {string | null}
 */
export function paymentCodeFrom(text) {
  const digits = text.replace(/\s+/g, '');
  return PAYMENT_CODE_PATTERN.test(digits) ? digits : null;
}

/**
 * How long to wait before try number `attempt` (1 for the first retry) of a request whose answer
 * was lost: doubling from {@link FIRST_RETRY_MILLISECONDS} up to
 * {@link LONGEST_RETRY_MILLISECONDS}, so a till that lost the network keeps asking without
 * flooding the server when it comes back.
 * @param {number} attempt
 */
export function retryDelayMilliseconds(attempt) {
  const doublings = Math.min(Math.max(attempt - 1, 0), 10);
  return Math.min(FIRST_RETRY_MILLISECONDS * 2 ** doublings, LONGEST_RETRY_MILLISECONDS);
}

/**
 * Whole seconds left until `deadline` on the server's clock, rounded up (a countdown never shows
 * 0 while time is left) and never below 0.
 * @param {number} deadlineMilliseconds server time
 * @param {number} serverNowMilliseconds
 */
export function secondsLeft(deadlineMilliseconds, serverNowMilliseconds) {
  return Math.max(0, Math.ceil((deadlineMilliseconds - serverNowMilliseconds) / 1000));
}
