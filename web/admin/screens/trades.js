// Trades: search by merchant, order number, trade number, status and day. The search lives in
// the URL (`#trades?merchant_id=3&date=2026-12-02`), so a reload or a shared link shows the
// same trades; opening the screen with no search shows the newest trades of every day.
import { field, h, valueOf } from '../../shared/dom.js';
import { t } from '../strings.js';
import { MessageLine, card, localTime, money, pagedList } from '../ui.js';

/** The filters of the search form, in the order of the form, as named in the API. */
const FILTERS = /** @type {const} */ (['merchant_id', 'out_trade_no', 'trade_no', 'status', 'date']);

/** Trade statuses, as the API names them. */
const STATUSES = /** @type {const} */ (['SUCCESS', 'USER_PAYING', 'CLOSED', 'REVERSED']);

/** @param {import('../app.js').ScreenContext} context */
export function render({ admin, root, navigate, parameters }) {
  /** @type {import('../console.js').TradeFilter} */
  const filter = {};
  for (const name of FILTERS) {
    filter[name] = parameters.get(name) ?? '';
  }
  const message = new MessageLine();
  const form = searchForm(filter, message, navigate);
  root.append(h('h1', {}, t('trades_title')), h('section', { class: 'card' }, form, message.element));
  const problem = filterProblem(filter);
  if (problem) {
    message.fail(problem);
    return;
  }
  root.append(card(t('trades_found'), results(admin, filter)));
}

/**
 * What is wrong with `filter` before asking the server, or null.
 * @param {import('../console.js').TradeFilter} filter
 */
function filterProblem(filter) {
  if (filter.merchant_id && !/^[0-9]{1,18}$/.test(filter.merchant_id)) {
    return t('merchant_id_format');
  }
  if (filter.out_trade_no && !filter.merchant_id) {
    return t('out_trade_no_needs_merchant');
  }
  return null;
}

/**
 * @param {import('../console.js').TradeFilter} filter
 * @param {MessageLine} message
 * @param {import('../app.js').Navigate} navigate
 */
function searchForm(filter, message, navigate) {
  const status = h(
    'select',
    { id: 'status', name: 'status' },
    h('option', { value: '' }, t('status_any')),
    ...STATUSES.map((value) => h('option', { value, selected: filter.status === value }, t(`trade_status_${value}`))),
  );
  const form = h(
    'form',
    { class: 'search-grid', role: 'search' },
    field('merchant_id', t('merchant_id_field'), { type: 'text', inputmode: 'numeric', autocomplete: 'off', value: filter.merchant_id ?? '', maxlength: 18 }),
    field('out_trade_no', t('out_trade_no'), { type: 'text', autocomplete: 'off', spellcheck: 'false', value: filter.out_trade_no ?? '', maxlength: 64 }),
    field('trade_no', t('trade_no'), { type: 'text', autocomplete: 'off', spellcheck: 'false', value: filter.trade_no ?? '', maxlength: 64 }),
    h('div', { class: 'field' }, h('label', { for: 'status' }, t('status')), status),
    h('div', { class: 'field' }, h('label', { for: 'date' }, t('day')), h('input', { id: 'date', name: 'date', type: 'date', value: filter.date ?? '', 'aria-describedby': 'date-hint' }), h('small', { id: 'date-hint', class: 'hint' }, t('day_hint'))),
    h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('search'))),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    /** @type {Record<string, string>} */
    const wanted = {};
    for (const name of FILTERS) {
      wanted[name] = name === 'status' ? status.value : valueOf(form, name).trim();
    }
    message.clear();
    navigate('trades', wanted);
  });
  return form;
}

/**
 * @param {import('../console.js').AdminClient} admin
 * @param {import('../console.js').TradeFilter} filter
 */
function results(admin, filter) {
  return pagedList({
    listClass: 'trades',
    empty: t('no_trades'),
    load: async (before) => {
      const page = await admin.trades(filter, typeof before === 'number' ? before : null);
      return { items: page.items, next: page.next_before };
    },
    row: tradeRow,
  });
}

/** @param {import('../console.js').Trade} trade */
function tradeRow(trade) {
  const payer = h('a', { href: `#user/${trade.user_id}` }, trade.username);
  return h(
    'li',
    { class: 'trade', 'data-trade-no': trade.trade_no },
    h(
      'span',
      { class: 'what' },
      h('strong', {}, trade.merchant_name ?? String(trade.merchant_id)),
      h('small', {}, localTime(trade.paid_at ?? trade.created_at)),
      h('small', { class: 'reference' }, `${trade.out_trade_no} · ${trade.trade_no}`),
      h('small', {}, t('trade_payer'), ': ', payer, trade.terminal_id ? ` · ${t('trade_terminal', { terminal: trade.terminal_id })}` : '', trade.subject ? ` · ${trade.subject}` : ''),
    ),
    h(
      'span',
      { class: 'figures' },
      h('strong', { class: 'amount' }, money(trade.amount, trade.currency)),
      h('span', { class: `badge trade-${trade.status.toLowerCase()}` }, t(`trade_status_${trade.status}`)),
      trade.refunded_amount > 0 && h('small', {}, t('trade_refunded', { amount: money(trade.refunded_amount, trade.currency) })),
    ),
  );
}
