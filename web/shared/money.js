// Amounts: the API keeps integer minor units; people see and type major units with the
// currency's decimals ("88.88"). The conversion works on digits, never on floating point.

/**
 * How many decimals the currency has (CNY 2, JPY 0), as the browser's Intl data says.
 * @param {string} currency ISO 4217 code
 */
export function currencyDecimals(currency) {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * The decimal text of `minor` minor units in major units: 8888 CNY → "88.88".
 * @param {number} minor a safe integer
 * @param {string} currency
 */
export function majorUnits(minor, currency) {
  if (!Number.isSafeInteger(minor)) {
    throw new Error('an amount is a whole number of minor units');
  }
  const decimals = currencyDecimals(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(decimals + 1, '0');
  if (decimals === 0) {
    return sign + digits;
  }
  return `${sign}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/**
 * `minor` minor units formatted for people in `locale`: 8888 CNY → "CN¥88.88" or "¥88.88".
 * @param {number} minor
 * @param {string} currency
 * @param {string} locale
 */
export function formatMoney(minor, currency, locale) {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  // Intl formats decimal strings exactly (no floating point on the way).
  return format.format(/** @type {`${number}`} */ (majorUnits(minor, currency)));
}

/** The largest amount the API takes, in minor units (the CLI's `MAX_AMOUNT_MINOR`). */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

/** The longest amount text read (the CLI's `MAX_AMOUNT_TEXT_BYTES`). */
export const MAX_AMOUNT_TEXT_LENGTH = 32;

/**
 * Why a typed amount was refused, as the CLI's `AmountError` says it.
 * @typedef {'empty' | 'too_long' | 'negative' | 'syntax' | 'too_many_decimals' | 'too_large' | 'zero'} AmountProblem
 */

/**
 * Reads an amount typed in major units (`12.50`) into minor units, exactly, with the CLI's
 * rules (`paycode_wallet::parse_amount`): ASCII digits, optionally a point and 1 to `decimals`
 * digits; no signs, spaces, exponents or separators; more than zero and at most
 * {@link MAX_AMOUNT_MINOR}. The digits are read as BigInt, never as a floating-point number.
 * @param {string} text
 * @param {number} decimals the currency's digits after the point (see {@link currencyDecimals})
 * @returns {{minor: number} | {problem: AmountProblem}}
 */
export function parseAmount(text, decimals) {
  if (text === '') {
    return { problem: 'empty' };
  }
  if (text.length > MAX_AMOUNT_TEXT_LENGTH) {
    return { problem: 'too_long' };
  }
  if (text.startsWith('-')) {
    return { problem: 'negative' };
  }
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) {
    return { problem: 'syntax' };
  }
  const whole = match[1];
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    return { problem: 'too_many_decimals' };
  }
  const minor = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (minor > BigInt(MAX_AMOUNT_MINOR)) {
    return { problem: 'too_large' };
  }
  if (minor === 0n) {
    return { problem: 'zero' };
  }
  return { minor: Number(minor) };
}
