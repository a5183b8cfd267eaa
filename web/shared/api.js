// The HTTP client of the web pages: JSON in and out, a timeout on every call, errors as one
// type with the API's stable code, and the server's clock read from every answer's `Date`.

/** How long any call may take before the page treats the server as unreachable. */
export const REQUEST_TIMEOUT_MILLISECONDS = 8000;

/** The code a failure gets when no answer came at all (network down, timeout). */
export const UNREACHABLE = 'UNREACHABLE';

/** A refusal from the API (its stable code and message), or {@link UNREACHABLE}. */
export class ApiError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {number} status 0 when no answer came
   */
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/**
 * The difference between the server's clock and this device's, in milliseconds, measured from
 * the `Date` header of an answer (whole seconds) against the middle of the round trip.
 * @param {string | null} dateHeader
 * @param {number} sentAt local time the request left, in milliseconds
 * @param {number} receivedAt local time the answer came
 * @returns {number | null}
 */
export function clockOffsetFrom(dateHeader, sentAt, receivedAt) {
  if (!dateHeader) {
    return null;
  }
  const serverTime = Date.parse(dateHeader);
  if (Number.isNaN(serverTime)) {
    return null;
  }
  // The header has whole seconds, so the server's clock was somewhere in that second: take
  // its middle.
  return serverTime + 500 - (sentAt + receivedAt) / 2;
}

/**
 * @typedef {object} RequestOptions
 * @property {string} [token] bearer credential
 * @property {unknown} [body] sent as JSON
 * @property {number} [timeoutMilliseconds]
 */

/**
 * A client for one origin's API.
 */
export class Api {
  /**
   * @param {(offsetMilliseconds: number) => void} [onClockOffset] told the clock offset after
   *   every answer
   */
  constructor(onClockOffset) {
    this.onClockOffset = onClockOffset;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} [options]
   * @returns {Promise<any>} the decoded JSON body, or null for an empty one
   */
  async request(method, path, options = {}) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (options.token) {
      headers.Authorization = `Bearer ${options.token}`;
    }
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const sentAt = Date.now();
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        cache: 'no-store',
        signal: AbortSignal.timeout(options.timeoutMilliseconds ?? REQUEST_TIMEOUT_MILLISECONDS),
      });
    } catch (error) {
      throw new ApiError(UNREACHABLE, String(error), 0);
    }
    const offset = clockOffsetFrom(response.headers.get('Date'), sentAt, Date.now());
    if (offset !== null && this.onClockOffset) {
      this.onClockOffset(offset);
    }
    const text = await response.text().catch(() => '');
    /** @type {any} */
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!response.ok) {
      const error = body?.error;
      throw new ApiError(error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText, response.status);
    }
    return body;
  }
}
