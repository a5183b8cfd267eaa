// The wallet's state on the phone, in IndexedDB: the session, the enrolled device (with its
// keys as non-extractable CryptoKey objects, which IndexedDB stores as they are), the last
// known clock offset, and the next code index of the current time step.

const DATABASE_NAME = 'paycode';
const DATABASE_VERSION = 1;
const STORE = 'state';

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE_NAME, DATABASE_VERSION);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Runs `work` in one transaction and resolves when it has committed.
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T> | void} work
 * @returns {Promise<T | undefined>}
 */
async function transact(mode, work) {
  const database = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    database.close();
  }
}

/**
 * @param {string} key
 * @returns {Promise<any>}
 */
export function load(key) {
  return transact('readonly', (store) => store.get(key));
}

/**
 * @param {string} key
 * @param {unknown} value
 */
export async function save(key, value) {
  await transact('readwrite', (store) => {
    store.put(value, key);
  });
}

/** @param {string} key */
export async function remove(key) {
  await transact('readwrite', (store) => {
    store.delete(key);
  });
}

/** How many recent time steps keep their count of codes shown. */
const REMEMBERED_STEPS = 32;

/**
 * Takes the next code index of `step`, or null when all `codesPerStep` are taken, and writes
 * the taking down before anything is shown, in one transaction, so that a reload (or a second
 * tab) never shows a code that was shown before. Counts are kept for the most recent steps, so
 * a clock that moves back a little (a new offset from the server) still never repeats a code.
 * @param {number} step
 * @param {number} codesPerStep
 * @returns {Promise<number | null>}
 */
export async function takeCodeIndex(step, codesPerStep) {
  /** @type {number | null} */
  let taken = null;
  await transact('readwrite', (store) => {
    const request = store.get('code_indexes');
    request.onsuccess = () => {
      /** @type {Record<string, number>} */
      const counts = request.result ?? {};
      const steps = Object.keys(counts).map(Number);
      const oldest = steps.length > 0 ? Math.min(...steps) : step;
      if (steps.length >= REMEMBERED_STEPS && step < oldest) {
        // Further back than anything remembered: nothing says which codes were shown then.
        return;
      }
      const next = counts[step] ?? 0;
      if (next >= codesPerStep) {
        return;
      }
      taken = next;
      counts[step] = next + 1;
      const kept = Object.keys(counts)
        .map(Number)
        .sort((a, b) => b - a)
        .slice(0, REMEMBERED_STEPS);
      /** @type {Record<string, number>} */
      const trimmed = {};
      for (const keptStep of kept) {
        trimmed[keptStep] = counts[keptStep];
      }
      store.put(trimmed, 'code_indexes');
    };
  });
  return taken;
}
