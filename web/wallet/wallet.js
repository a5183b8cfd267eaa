// The wallet's model: the session, this phone's device and its keys, the server's clock, and
// the calls the screens make. State is kept in IndexedDB (shared/store.js), not in globals, so
// that a reload, or a reload with no network, finds it again.
import { Api, ApiError, UNREACHABLE } from '../shared/api.js';
import {
  base32Decode,
  CODES_PER_STEP,
  importCodeKey,
  importHotpKey,
  offlineCode,
  timeStep,
} from '../shared/crypto.js';
import { load, remove, save, takeCodeIndex } from '../shared/store.js';
import { t } from './strings.js';

/**
 * @typedef {object} Session
 * @property {string} token
 * @property {string} expires_at
 * @property {string} username
 */

/**
 * This phone as enrolled: what the server's provisioning said, with the secret and the code
 * key turned into non-extractable keys and the Base32 text dropped.
 * @typedef {object} Device
 * @property {number} id
 * @property {number} slot
 * @property {string} name
 * @property {string} prefix
 * @property {number} period
 * @property {import('../shared/crypto.js').Algorithm} algorithm
 * @property {CryptoKey} hotpKey
 * @property {CryptoKey} codeKey
 */

/**
 * @typedef {{kind: 'code', code: string, step: number, index: number} | {kind: 'used_up', step: number}} OfflineCodeResult
 */

export class Wallet {
  constructor() {
    /** @type {Session | undefined} */
    this.session = undefined;
    /** @type {Device | undefined} */
    this.device = undefined;
    /** Server clock minus this phone's, in milliseconds; the last one measured. */
    this.clockOffsetMilliseconds = 0;
    /** Whether the last call reached the server. */
    this.online = true;
    this.api = new Api((offset) => this.rememberClockOffset(offset));
  }

  /** Reads the stored state. */
  async open() {
    this.session = await load('session');
    this.device = await load('device');
    this.clockOffsetMilliseconds = (await load('clock'))?.offset_milliseconds ?? 0;
  }

  /** @param {number} offset */
  rememberClockOffset(offset) {
    this.clockOffsetMilliseconds = offset;
    save('clock', { offset_milliseconds: offset }).catch(() => {});
  }

  /** The time on the server's clock now, in milliseconds, as far as this phone knows. */
  serverNow() {
    return Date.now() + this.clockOffsetMilliseconds;
  }

  /** Whether this phone's clock is off the server's by more than one time step. */
  clockIsOff() {
    const period = this.device?.period ?? 30;
    return Math.abs(this.clockOffsetMilliseconds) > period * 1000;
  }

  /**
   * A call to the API with this wallet's session. An answer that the session is no longer
   * valid forgets the session (the device and its offline codes stay).
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async call(method, path, body) {
    try {
      const result = await this.api.request(method, path, { token: this.session?.token, body });
      this.online = true;
      return result;
    } catch (error) {
      if (error instanceof ApiError) {
        this.online = error.code !== UNREACHABLE;
        if (error.code === 'UNAUTHENTICATED' && this.session) {
          this.session = undefined;
          await remove('session');
        }
      }
      throw error;
    }
  }

  /**
   * @param {string} username
   * @param {string} password
   */
  async logIn(username, password) {
    const session = await this.call('POST', '/v1/wallet/sessions', { username, password });
    this.session = { token: session.token, expires_at: session.expires_at, username };
    await save('session', this.session);
  }

  /**
   * Sets the PIN (or, when the account has one, takes `pin` as that one) and enrolls this
   * phone as a device named `name`, keeping its keys as non-extractable CryptoKeys.
   * @param {string} pin
   * @param {string} name
   */
  async setPinAndEnroll(pin, name) {
    try {
      await this.call('PUT', '/v1/wallet/pin', { pin });
    } catch (error) {
      // FORBIDDEN here means the account already has a PIN; enrolling checks the one typed.
      if (!(error instanceof ApiError && error.code === 'FORBIDDEN')) {
        throw error;
      }
    }
    const provisioning = await this.call('POST', '/v1/wallet/devices', { name, pin });
    /** @type {Device} */
    const device = {
      id: provisioning.id,
      slot: provisioning.slot,
      name,
      prefix: provisioning.prefix,
      period: provisioning.period,
      algorithm: provisioning.algorithm,
      hotpKey: await importHotpKey(base32Decode(provisioning.secret), provisioning.algorithm),
      codeKey: await importCodeKey(base32Decode(provisioning.code_key)),
    };
    await save('device', device);
    this.device = device;
  }

  /**
   * The next offline code of the current step (at the server's time), or word that all ten
   * were shown.
   * @returns {Promise<OfflineCodeResult>}
   */
  async nextOfflineCode() {
    const device = this.device;
    if (!device) {
      throw new Error('no device is enrolled on this phone');
    }
    const step = timeStep(Math.floor(this.serverNow() / 1000), device.period);
    const index = await takeCodeIndex(step, CODES_PER_STEP);
    if (index === null) {
      return { kind: 'used_up', step };
    }
    const code = await offlineCode({ ...device, index, step });
    return { kind: 'code', code, step, index };
  }

  /** Seconds until the next time step on the server's clock, 1..=period. */
  secondsToNextStep() {
    const period = this.device?.period ?? 30;
    const seconds = Math.floor(this.serverNow() / 1000);
    return period - (seconds % period);
  }

  /** Forgets this phone's device (after it was revoked, or at log out). */
  async forgetDevice() {
    this.device = undefined;
    await remove('device');
    await remove('code_indexes');
  }

  /** Whether the server still has this phone's device active; undefined when unknown. */
  async deviceIsActive() {
    if (!this.device || !this.session) {
      return undefined;
    }
    const list = await this.call('GET', '/v1/wallet/devices');
    const mine = list.items.find((/** @type {{id: number}} */ item) => item.id === this.device?.id);
    return mine !== undefined && mine.status === 'active';
  }

  /**
   * Logs out: this phone stops paying (its device is revoked and its keys deleted) and the
   * session ends. Either server call may fail (offline): the phone forgets everything anyway.
   */
  async logOut() {
    if (this.device && this.session) {
      await this.call('DELETE', `/v1/wallet/devices/${this.device.id}`).catch(() => {});
    }
    if (this.session) {
      await this.call('DELETE', '/v1/wallet/sessions/current').catch(() => {});
    }
    await this.forgetDevice();
    this.session = undefined;
    await remove('session');
  }
}

/**
 * Plain words for a failure.
 * @param {unknown} error
 * @param {'login' | 'pin' | 'other'} [context] what was being done: a refused login means a
 *   wrong password, a refused PIN check means a wrong PIN
 */
export function messageFor(error, context = 'other') {
  if (!(error instanceof ApiError)) {
    return t('error_other', { code: error instanceof Error ? error.message : String(error) });
  }
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return context === 'login' ? t('error_wrong_login') : t('error_session_ended');
    case 'PIN_LOCKED':
      return t('error_pin_locked');
    case 'FORBIDDEN':
      return context === 'pin' ? t('error_wrong_pin') : t('error_other', { code: error.code });
    case 'DEVICE_REVOKED':
      return t('error_device_revoked');
    case UNREACHABLE:
      return t('error_unreachable');
    case 'RATE_LIMITED':
      return t('error_rate_limited');
    case 'INSUFFICIENT_FUNDS':
      return t('error_insufficient_funds');
    default:
      return t('error_other', { code: error.code });
  }
}
