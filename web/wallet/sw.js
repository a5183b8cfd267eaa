// The wallet's service worker: keeps a copy of every file of the app, so that the payment
// screen opens with no network (airplane mode, a reload included). Pages and files come from
// the copy at once and the copy is refreshed from the server in the background whenever the
// server answers, so an update reaches the phone at its next opening. API calls (/v1/) are
// never cached.

const CACHE = 'paycode-wallet-v1';

/** Every file the wallet needs, relative to this worker (web/test checks the list is whole). */
const APP_FILES = [
  './',
  'index.html',
  'app.js',
  'wallet.js',
  'strings.js',
  'style.css',
  'manifest.webmanifest',
  'icons/icon-192.png',
  'icons/icon-512.png',
  'screens/account.js',
  'screens/login.js',
  'screens/pay.js',
  'screens/setup.js',
  '../shared/api.js',
  '../shared/barcodes.js',
  '../shared/crypto.js',
  '../shared/dom.js',
  '../shared/language.js',
  '../shared/money.js',
  '../shared/store.js',
  '../vendor/jsbarcode.code128.min.js',
  '../vendor/uqr.mjs',
];

const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(APP_FILES.map((file) => new Request(file, { cache: 'no-cache' }))))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== location.origin || url.pathname.startsWith('/v1/')) {
    return;
  }
  event.respondWith(fromCacheThenRefresh(event, request, url));
});

/**
 * @param {FetchEvent} event
 * @param {Request} request
 * @param {URL} url
 */
async function fromCacheThenRefresh(event, request, url) {
  const cache = await caches.open(CACHE);
  // The page's address carries the screen in its fragment; the file is the same.
  const key = request.mode === 'navigate' ? new URL('./', location.href).href : url.href;
  const cached = await cache.match(key, { ignoreSearch: true });
  const refreshed = fetch(request, { cache: 'no-cache' }).then(async (response) => {
    if (response.ok) {
      await cache.put(key, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(refreshed.catch(() => {}));
    return cached;
  }
  return refreshed;
}
