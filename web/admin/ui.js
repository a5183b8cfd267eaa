// Pieces every screen of the console uses: plain-words errors, amounts and local times, message
// lines, "Show more" paging and the confirmation dialog.
import { ApiError, UNREACHABLE } from '../shared/api.js';
import { h } from '../shared/dom.js';
import { currencyDecimals, formatMoney } from '../shared/money.js';
import { LANGUAGE, t } from './strings.js';

/**
 * What to tell the operator about a failed call.
 * @param {unknown} error
 */
export function errorMessage(error) {
  if (!(error instanceof ApiError)) {
    return t('error_other', { code: String(error) });
  }
  switch (error.code) {
    case UNREACHABLE:
      return t('error_unreachable');
    case 'UNAUTHENTICATED':
      return t('error_key_refused');
    case 'NOT_FOUND':
      return t('error_not_found');
    case 'RATE_LIMITED':
      return t('error_rate_limited');
    default:
      // Refusals of bad input (a username taken, a name too long) carry a message an operator
      // can act on.
      return error.status >= 400 && error.status < 500 ? t('error_refused', { message: error.message }) : t('error_other', { code: error.code });
  }
}

/**
 * What to tell the operator about an amount that could not be read.
 * @param {import('../shared/money.js').AmountError} error
 * @param {string} currency
 */
export function amountMessage(error, currency) {
  switch (error.problem) {
    case 'empty':
      return t('amount_empty');
    case 'negative':
      return t('amount_negative');
    case 'decimals':
      return t('amount_decimals', { currency, decimals: currencyDecimals(currency) });
    case 'too_large':
      return t('amount_too_large');
    case 'zero':
      return t('amount_zero');
    default:
      return t('amount_syntax');
  }
}

/**
 * `minor` minor units for people: "CN¥12.34".
 * @param {number} minor
 * @param {string} currency
 */
export function money(minor, currency) {
  return formatMoney(minor, currency, LANGUAGE);
}

/**
 * An RFC 3339 time in this browser's time zone, or "never".
 * @param {string | null | undefined} timestamp
 */
export function localTime(timestamp) {
  if (!timestamp) {
    return t('never');
  }
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) {
    return timestamp;
  }
  return new Intl.DateTimeFormat(LANGUAGE, { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

/**
 * A line for outcomes: `role="status"` for news, `role="alert"` for errors. Empty lines are
 * hidden by the style sheet.
 */
export class MessageLine {
  constructor() {
    this.element = h('p', { role: 'status', class: 'status' });
  }

  /** @param {string} text */
  ok(text) {
    this.element.setAttribute('role', 'status');
    this.element.className = 'status';
    this.element.textContent = text;
  }

  /** @param {string} text */
  fail(text) {
    this.element.setAttribute('role', 'alert');
    this.element.className = 'alert';
    this.element.textContent = text;
  }

  clear() {
    this.element.textContent = '';
  }
}

/**
 * Runs `action` with `button` disabled, so that a second click while the first is on its way
 * does nothing; failures go to `message`.
 * @param {HTMLButtonElement} button
 * @param {MessageLine} message
 * @param {() => Promise<void>} action
 */
export async function whileBusy(button, message, action) {
  if (button.disabled) {
    return;
  }
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    message.fail(errorMessage(error));
  } finally {
    button.disabled = false;
  }
}

/**
 * A list that loads page after page: `load(cursor)` answers items and the next cursor (null on
 * the last page); each item is drawn by `row`, and a "Show more" button loads the next page.
 * @template T
 * @param {object} options
 * @param {(cursor: string | number | null) => Promise<{items: T[], next: string | number | null}>} options.load
 * @param {(item: T) => HTMLElement} options.row
 * @param {string} options.empty text when there is nothing
 * @param {string} options.listClass
 * @returns {HTMLElement} the list with its button and message line; loading starts at once
 */
export function pagedList({ load, row, empty, listClass }) {
  const list = h('ul', { class: `rows ${listClass}` });
  const message = new MessageLine();
  const more = h('button', { type: 'button', class: 'secondary more', hidden: true }, t('show_more'));
  const container = h('div', { class: 'paged', 'aria-busy': 'true' }, list, message.element, more);
  /** @type {string | number | null} */
  let cursor = null;
  const next = async () => {
    container.setAttribute('aria-busy', 'true');
    try {
      const page = await load(cursor);
      list.append(...page.items.map(row));
      cursor = page.next;
      more.hidden = cursor === null || cursor === undefined;
      if (list.childElementCount === 0) {
        message.ok(empty);
      }
    } finally {
      container.setAttribute('aria-busy', 'false');
    }
  };
  more.addEventListener('click', () => whileBusy(more, message, next));
  next().catch((error) => message.fail(errorMessage(error)));
  return container;
}

/**
 * Asks the operator to confirm a harmful action in a modal dialog.
 * @param {string} question
 * @param {string} confirmLabel the button that goes ahead
 * @returns {Promise<boolean>}
 */
export function confirmAction(question, confirmLabel) {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'button', class: 'danger', value: 'yes' }, confirmLabel);
    const no = h('button', { type: 'button', class: 'secondary', value: 'no' }, t('cancel'));
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-question' }, h('p', { id: 'confirm-question' }, question), h('div', { class: 'buttons' }, no, yes));
    /** @param {boolean} answer */
    const answer = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener('click', () => answer(true));
    no.addEventListener('click', () => answer(false));
    dialog.addEventListener('cancel', () => answer(false));
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/**
 * A card: a section with a heading.
 * @param {string} title
 * @param {...(Node | string | null | undefined | false)} children
 */
export function card(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/**
 * A term and its value, for the facts of a user or a merchant.
 * @param {[string, Node | string][]} facts
 */
export function factList(facts) {
  return h('dl', { class: 'facts' }, ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}
