// What the console's browser tests need around the page: a phone enrolled through the wallet
// API that makes offline codes (its own, or an impostor's with the right slot and a wrong
// secret), and payments from a merchant.
import { randomBytes } from 'node:crypto';

import { base32Decode, importCodeKey, importHotpKey, offlineCode, timeStep } from '../shared/crypto.js';
import { call } from './server.js';

/**
 * @typedef {object} Phone
 * @property {number} deviceId
 * @property {(index: number) => Promise<string>} code the offline code of this step with `index`
 */

/**
 * Logs `username` in and enrolls a device with the password (no PIN set yet).
 * @param {string} url
 * @param {string} username
 * @param {string} password
 * @param {string} name of the device
 * @returns {Promise<{phone: Phone, impostor: Phone}>} the phone, and one that makes codes for
 *   its slot with a secret of its own (codes the server counts as wrong for this device)
 */
export async function enrollPhone(url, username, password, name) {
  const session = await call(`${url}/v1/wallet/sessions`, 'POST', undefined, { username, password });
  if (session.status !== 200 && session.status !== 201) {
    throw new Error(`logging in failed: ${JSON.stringify(session)}`);
  }
  const enrolled = await call(`${url}/v1/wallet/devices`, 'POST', session.body.token, { name, password });
  if (enrolled.status !== 200 && enrolled.status !== 201) {
    throw new Error(`enrolling failed: ${JSON.stringify(enrolled)}`);
  }
  const provisioning = enrolled.body;
  const codeKey = await importCodeKey(base32Decode(provisioning.code_key));
  /** @param {CryptoKey} hotpKey @returns {Phone} */
  const phoneWith = (hotpKey) => ({
    deviceId: provisioning.id,
    code: (index) => offlineCode({ hotpKey, codeKey, prefix: provisioning.prefix, slot: provisioning.slot, index, step: timeStep(Date.now() / 1000, provisioning.period) }),
  });
  const secret = await importHotpKey(base32Decode(provisioning.secret), provisioning.algorithm);
  const wrongSecret = await importHotpKey(new Uint8Array(randomBytes(20)), provisioning.algorithm);
  return { phone: phoneWith(secret), impostor: phoneWith(wrongSecret) };
}

/**
 * A payment from the merchant with `merchantKey`.
 * @param {string} url
 * @param {string} merchantKey
 * @param {{out_trade_no: string, auth_code: string, amount: number, subject?: string, terminal_id?: string}} payment
 */
export function pay(url, merchantKey, payment) {
  return call(`${url}/v1/payments`, 'POST', merchantKey, payment);
}
