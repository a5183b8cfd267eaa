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
