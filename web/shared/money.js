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

/** The largest amount the API accepts, in minor units (`MAX_AMOUNT_MINOR` of the server). */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

/**
 * Why a typed amount was refused: `empty`, `negative`, `syntax` (not digits with at most one
 * decimal point), `decimals` (more decimals than the currency has), `too_large` or `zero`.
 * @typedef {'empty' | 'negative' | 'syntax' | 'decimals' | 'too_large' | 'zero'} AmountProblem
 */

/** A typed amount that cannot be read; `problem` says why, for a message people understand. */
export class AmountError extends Error {
  /** @param {AmountProblem} problem */
  constructor(problem) {
    super(`invalid amount: ${problem}`);
    this.problem = problem;
  }
}

/**
 * Reads an amount typed in major units ("12.50") into minor units (1250 for CNY), exactly and
 * with the CLI's rules: digits with at most one decimal point and at most the currency's
 * decimals, more than zero, at most {@link MAX_AMOUNT_MINOR}. Spaces around it are ignored;
 * signs, exponents and separators are refused.
 * @param {string} text
 * @param {string} currency ISO 4217 code
 * @returns {number} minor units, a safe integer
 * @throws {AmountError}
 */
export function parseMajorUnits(text, currency) {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new AmountError('empty');
  }
  if (trimmed.startsWith('-')) {
    throw new AmountError('negative');
  }
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(trimmed);
  if (!match) {
    throw new AmountError('syntax');
  }
  const [, whole, fraction = ''] = match;
  const decimals = currencyDecimals(currency);
  if (fraction.length > decimals) {
    throw new AmountError('decimals');
  }
  // BigInt, so that no number of digits can lose precision before the limit is checked.
  const minor = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (minor > BigInt(MAX_AMOUNT_MINOR)) {
    throw new AmountError('too_large');
  }
  if (minor === 0n) {
    throw new AmountError('zero');
  }
  return Number(minor);
}
