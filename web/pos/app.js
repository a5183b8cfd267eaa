// The till's entry point: shows the screen the URL's fragment names (#charge, #trades, #setup),
// or the setup screen while this browser has no key and terminal id.
import { h } from '../shared/dom.js';
import * as charge from './screens/charge.js';
import * as setup from './screens/setup.js';
import * as trades from './screens/trades.js';
import { LANGUAGE, t } from './strings.js';
import { Till } from './till.js';

/**
 * What every screen gets.
 * @typedef {object} ScreenContext
 * @property {Till} till
 * @property {HTMLElement} root where the screen draws itself
 * @property {(screen: ScreenName, notice?: string) => void} navigate
 * @property {string} [notice] a message the previous screen left for this one
 */

/** @typedef {'charge' | 'trades' | 'setup'} ScreenName */

/** @type {Record<ScreenName, {render: (context: ScreenContext) => (() => void) | void}>} */
const SCREENS = { charge, trades, setup };

const till = new Till();
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const navigation = /** @type {HTMLElement} */ (document.getElementById('navigation'));
/** @type {() => void} */
let leaveScreen = () => {};
/** @type {string | undefined} */
let pendingNotice;

/**
 * The screen to show for `wanted`: everything but the setup needs a key.
 * @param {string} wanted
 * @returns {ScreenName}
 */
function screenFor(wanted) {
  if (!till.settings) {
    return 'setup';
  }
  return wanted === 'trades' || wanted === 'setup' ? wanted : 'charge';
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

/** @param {ScreenName} current */
function drawNavigation(current) {
  navigation.replaceChildren();
  if (!till.settings) {
    return;
  }
  /** @type {[ScreenName, string][]} */
  const tabs = [
    ['charge', t('nav_charge')],
    ['trades', t('nav_trades')],
    ['setup', t('nav_setup')],
  ];
  for (const [screen, label] of tabs) {
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
  const leave = SCREENS[screen].render({ till, root: main, navigate, notice });
  if (leave) {
    leaveScreen = leave;
  }
}

document.title = t('app_name');
const title = document.getElementById('app-name');
if (title) {
  title.textContent = t('app_name');
}
document.documentElement.lang = LANGUAGE;
window.addEventListener('hashchange', show);
show();
