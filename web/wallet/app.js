// The wallet's entry point: opens the stored state, registers the service worker, and shows
// the screen the URL's fragment names (#login, #setup, #pay, #account), or the one this
// phone's state calls for.
import { h } from '../shared/dom.js';
import * as account from './screens/account.js';
import * as login from './screens/login.js';
import * as pay from './screens/pay.js';
import * as setup from './screens/setup.js';
import { t } from './strings.js';
import { Wallet } from './wallet.js';

/**
 * What every screen gets.
 * @typedef {object} ScreenContext
 * @property {Wallet} wallet
 * @property {HTMLElement} root where the screen draws itself
 * @property {(screen: ScreenName, notice?: string) => void} navigate
 * @property {string} [notice] a message the previous screen left for this one
 */

/** @typedef {'login' | 'setup' | 'pay' | 'account'} ScreenName */

/** @type {Record<ScreenName, {render: (context: ScreenContext) => (() => void) | void}>} */
const SCREENS = { login, setup, pay, account };

const wallet = new Wallet();
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const navigation = /** @type {HTMLElement} */ (document.getElementById('navigation'));
/** @type {() => void} */
let leaveScreen = () => {};
/** @type {string | undefined} */
let pendingNotice;

/**
 * The screen to show for `wanted` in the current state: codes need a device, the rest a
 * session.
 * @param {string} wanted
 * @returns {ScreenName}
 */
function screenFor(wanted) {
  if (wanted === 'login') {
    return 'login';
  }
  if (wallet.device) {
    if (wanted === 'account' && wallet.session) {
      return 'account';
    }
    return wanted === 'account' ? 'login' : 'pay';
  }
  return wallet.session ? 'setup' : 'login';
}

/**
 * @param {ScreenName} screen
 * @param {string} [notice]
 */
function navigate(screen, notice) {
  pendingNotice = notice;
  if (location.hash === `#${screen}`) {
    show();
  } else {
    location.hash = screen;
  }
}

function drawNavigation(/** @type {ScreenName} */ current) {
  navigation.replaceChildren();
  if (!wallet.device) {
    return;
  }
  for (const [screen, label] of /** @type {const} */ ([['pay', t('nav_pay')], ['account', t('nav_account')]])) {
    navigation.append(
      h('button', { type: 'button', class: 'tab', 'aria-current': screen === current ? 'page' : undefined, onclick: () => navigate(screen) }, label),
    );
  }
}

function show() {
  leaveScreen();
  leaveScreen = () => {};
  const screen = screenFor(location.hash.slice(1));
  if (location.hash !== `#${screen}`) {
    history.replaceState(null, '', `#${screen}`);
  }
  main.replaceChildren();
  drawNavigation(screen);
  const notice = pendingNotice;
  pendingNotice = undefined;
  const leave = SCREENS[screen].render({ wallet, root: main, navigate, notice });
  if (leave) {
    leaveScreen = leave;
  }
}

async function start() {
  document.title = t('app_name');
  const title = document.getElementById('app-name');
  if (title) {
    title.textContent = t('app_name');
  }
  document.documentElement.lang = navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
  if (!globalThis.crypto?.subtle) {
    main.replaceChildren(h('p', { role: 'alert', class: 'alert' }, t('error_no_crypto')));
    return;
  }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {});
  }
  await wallet.open();
  window.addEventListener('hashchange', show);
  show();
}

start();
