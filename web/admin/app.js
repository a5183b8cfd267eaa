// The console's entry point: shows the screen the URL's fragment names (`#users?prefix=al`,
// `#user/12`, `#merchants`, `#merchant/3`, `#trades?date=...`, `#health`), or the login screen
// while this browser session holds no admin key.
import { h } from '../shared/dom.js';
import { AdminClient } from './console.js';
import * as health from './screens/health.js';
import * as login from './screens/login.js';
import * as merchants from './screens/merchants.js';
import * as trades from './screens/trades.js';
import * as user from './screens/user.js';
import * as users from './screens/users.js';
import { LANGUAGE, t } from './strings.js';

/**
 * Goes to `screen` (with `/id` for one user or merchant) with `parameters` in the fragment;
 * `notice` is shown by the next screen (as an alert when given as `{problem}`); `replace` leaves
 * no history entry.
 * @typedef {(screen: string, parameters?: Record<string, string>, notice?: string | {problem: string}, replace?: boolean) => void} Navigate
 */

/**
 * What every screen gets.
 * @typedef {object} ScreenContext
 * @property {AdminClient} admin
 * @property {HTMLElement} root where the screen draws itself
 * @property {Navigate} navigate
 * @property {URLSearchParams} parameters from the fragment, after `?`
 * @property {number} id of the user or merchant, for `#user/ID` and `#merchant/ID`
 * @property {string} [notice] news the previous screen left for this one
 * @property {string} [problem] a problem the previous screen left for this one
 */

/** @type {Record<string, (context: ScreenContext) => void>} */
const SCREENS = {
  login: login.render,
  users: users.render,
  user: user.render,
  merchants: merchants.render,
  merchant: merchants.renderMerchant,
  trades: trades.render,
  health: health.render,
};

/** The screens in the navigation bar, and which screens belong under each. */
const SECTIONS = /** @type {const} */ ([
  ['users', 'nav_users', ['users', 'user']],
  ['merchants', 'nav_merchants', ['merchants', 'merchant']],
  ['trades', 'nav_trades', ['trades']],
  ['health', 'nav_health', ['health']],
]);

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const navigation = /** @type {HTMLElement} */ (document.getElementById('navigation'));
/** @type {string | {problem: string} | undefined} */
let pendingNotice;

const admin = new AdminClient(() => {
  if (!location.hash.startsWith('#login')) {
    navigate('login', {}, { problem: t('error_key_refused') });
  }
});

/** @type {Navigate} */
function navigate(screen, parameters = {}, notice, replace = false) {
  pendingNotice = notice;
  const query = new URLSearchParams(Object.entries(parameters).filter(([, value]) => value !== '')).toString();
  const hash = `#${screen}${query ? `?${query}` : ''}`;
  if (location.hash === hash) {
    show();
  } else if (replace) {
    history.replaceState(null, '', hash);
    show();
  } else {
    location.hash = hash;
  }
}

/**
 * The screen, id and parameters of a fragment such as `#user/12?x=1`.
 * @param {string} hash
 */
function parseFragment(hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?', 2);
  const [screen, id = ''] = path.split('/', 2);
  return { screen, id: Number.parseInt(id, 10), parameters: new URLSearchParams(query) };
}

/** @param {string} current */
function drawNavigation(current) {
  navigation.replaceChildren();
  if (!admin.key) {
    return;
  }
  for (const [screen, label, members] of SECTIONS) {
    navigation.append(h('a', { href: `#${screen}`, class: 'tab', 'aria-current': /** @type {readonly string[]} */ (members).includes(current) ? 'page' : undefined }, t(label)));
  }
  const logout = h('button', { type: 'button', class: 'tab logout' }, t('logout'));
  logout.addEventListener('click', () => {
    admin.logOut();
    navigate('login', {}, t('logged_out'));
  });
  navigation.append(logout);
}

function show() {
  let { screen, id, parameters } = parseFragment(location.hash);
  const needsId = screen === 'user' || screen === 'merchant';
  if (!admin.key) {
    screen = 'login';
  } else if (!(screen in SCREENS) || screen === 'login' || (needsId && !(id > 0))) {
    screen = 'users';
  }
  if (parseFragment(location.hash).screen !== screen) {
    history.replaceState(null, '', `#${screen}`);
  }
  main.replaceChildren();
  drawNavigation(screen);
  const left = pendingNotice;
  pendingNotice = undefined;
  const notice = typeof left === 'string' ? left : undefined;
  const problem = typeof left === 'object' ? left.problem : undefined;
  SCREENS[screen]({ admin, root: main, navigate, parameters, id, notice, problem });
  window.scrollTo(0, 0);
}

function start() {
  document.title = t('app_name');
  const title = document.getElementById('app-name');
  if (title) {
    title.textContent = t('app_name');
  }
  document.documentElement.lang = LANGUAGE;
  window.addEventListener('hashchange', show);
  show();
}

start();
