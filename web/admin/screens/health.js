// Health: whether the server and its database answer, the ledger check in plain words (the
// failing counts listed when it fails), and a day's figures (`#health?date=2026-12-02`) from
// the admin summary: by default the server's today, since days are cut in the deployment's
// time zone, which need not be this browser's. The same day's settlement follows: every
// merchant's gross, refunds, net and count.
import { h } from '../../shared/dom.js';
import { TABLES, t } from '../strings.js';
import { MessageLine, card, errorMessage, money, whileBusy } from '../ui.js';

/** The invariants of the ledger check that must be zero, in the order they are listed. */
const LEDGER_INVARIANTS = /** @type {const} */ ([
  'sum_of_balances',
  'sum_of_postings',
  'negative_user_accounts',
  'accounts_not_matching_postings',
  'unbalanced_transactions',
  'trades_with_bad_refunds',
]);

/** @param {import('../app.js').ScreenContext} context */
export function render({ admin, root, navigate, parameters }) {
  const date = parameters.get('date') ?? '';
  const settlement = settlementCard(admin);
  root.append(h('h1', {}, t('health_title')), h('div', { class: 'columns' }, serverCard(admin), ledgerCard(admin)), summaryCard(admin, date, navigate, settlement.show), settlement.element);
}

/**
 * What a refusal code means, in words, or nothing for a code this console does not know.
 * @param {string} code
 */
function refusalReason(code) {
  const key = `refusal_${code}`;
  return key in TABLES.en ? t(/** @type {import('../strings.js').StringKey} */ (key)) : '';
}

/** @param {import('../console.js').AdminClient} admin */
function serverCard(admin) {
  const message = new MessageLine();
  admin
    .health()
    .then((health) => message.ok(t('server_ok', { database: health.database })))
    .catch((error) => message.fail(error?.status === 503 ? t('server_down') : errorMessage(error)));
  return card(t('server_title'), message.element);
}

/** @param {import('../console.js').AdminClient} admin */
function ledgerCard(admin) {
  const message = new MessageLine();
  const failures = h('ul', { class: 'failures' });
  const again = h('button', { type: 'button', class: 'secondary' }, t('check_again'));
  const check = async () => {
    message.ok(t('loading'));
    failures.replaceChildren();
    const result = await admin.ledgerCheck();
    if (result.ok) {
      message.ok(t('ledger_ok', { accounts: result.accounts, transactions: result.transactions }));
      return;
    }
    message.fail(t('ledger_broken'));
    for (const name of LEDGER_INVARIANTS) {
      if (Number(result[name]) !== 0) {
        failures.append(h('li', {}, t(`ledger_${name}`, { value: String(result[name]) })));
      }
    }
  };
  again.addEventListener('click', () => whileBusy(again, message, check));
  check().catch((error) => message.fail(errorMessage(error)));
  return card(t('ledger_title'), h('div', { id: 'ledger-result' }, message.element, failures), again);
}

/**
 * @param {import('../console.js').AdminClient} admin
 * @param {string} date YYYY-MM-DD, or empty for the server's today
 * @param {import('../app.js').Navigate} navigate
 * @param {(date: string) => void} onDay told the day shown, once the server has named it
 */
function summaryCard(admin, date, navigate, onDay) {
  const message = new MessageLine();
  const figures = h('div', { class: 'figures-grid', id: 'summary' });
  const dayInput = h('input', { id: 'summary-date', name: 'summary-date', type: 'date', value: date, required: true });
  const form = h('form', { class: 'inline' }, h('div', { class: 'field' }, h('label', { for: 'summary-date' }, t('day')), dayInput), h('button', { type: 'submit', class: 'secondary' }, t('show_day')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate('health', { date: dayInput.value });
  });
  const heading = h('p', { class: 'hint' });
  message.ok(t('loading'));
  admin
    .summary(date)
    .then((summary) => {
      message.clear();
      dayInput.value = summary.date;
      onDay(summary.date);
      heading.textContent = t('summary_day', { date: summary.date, time_zone: summary.time_zone });
      const figure = (/** @type {string} */ label, /** @type {string} */ value, /** @type {string} */ name) =>
        h('div', { class: 'figure', 'data-figure': name }, h('span', { class: 'figure-label' }, label), h('strong', { class: 'figure-value' }, value));
      figures.append(
        figure(t('summary_payments'), String(summary.payments), 'payments'),
        figure(t('summary_volume'), money(summary.volume, summary.currency), 'volume'),
        figure(t('summary_refunds'), String(summary.refunds), 'refunds'),
        figure(t('summary_refunded'), money(summary.refunded, summary.currency), 'refunded'),
        figure(t('summary_user_paying'), String(summary.user_paying), 'user_paying'),
        figure(t('summary_locked_devices'), String(summary.locked_devices), 'locked_devices'),
        figure(t('summary_users'), String(summary.users), 'users'),
        figure(t('summary_merchants'), String(summary.merchants), 'merchants'),
      );
      const refusals = Object.entries(summary.refusals ?? {}).sort(([, a], [, b]) => b - a);
      figures.after(
        h('h3', {}, t('summary_refusals')),
        refusals.length === 0
          ? h('p', {}, t('summary_no_refusals'))
          : h('ul', { class: 'rows refusals' }, ...refusals.map(([code, count]) => h('li', {}, h('span', { class: 'what' }, h('code', {}, code), h('small', {}, refusalReason(code))), h('strong', {}, String(count))))),
      );
    })
    .catch((error) => message.fail(errorMessage(error)));
  return card(t('summary_title'), form, heading, message.element, figures);
}

/**
 * The settlement of a day: a table of every merchant's totals, in the deployment's currency.
 * It waits for the day, which the summary learns from the server when none is asked for.
 * @param {import('../console.js').AdminClient} admin
 */
function settlementCard(admin) {
  const message = new MessageLine();
  const body = h('div', { class: 'table-scroll', id: 'settlement' });
  /** @param {string} date */
  const show = (date) => {
    message.ok(t('loading'));
    admin
      .settlement(date)
      .then((settlement) => {
        message.clear();
        body.replaceChildren(settlement.items.length === 0 ? h('p', {}, t('settlement_none')) : settlementTable(settlement));
      })
      .catch((error) => message.fail(errorMessage(error)));
  };
  return { element: card(t('settlement_title'), h('p', { class: 'hint' }, t('settlement_intro')), message.element, body), show };
}

/** @param {import('../console.js').Settlement} settlement */
function settlementTable(settlement) {
  // Each cell also carries its column's name, which a narrow screen shows beside the value
  // when the table is laid out as one block per merchant.
  const cell = (/** @type {import('../strings.js').StringKey} */ column, /** @type {string} */ text) => h('td', { class: 'amount', 'data-label': t(column) }, text);
  const amount = (/** @type {import('../strings.js').StringKey} */ column, /** @type {number} */ minor) => cell(column, money(minor, settlement.currency));
  const header = h('tr', {}, ...['settlement_merchant', 'settlement_gross', 'settlement_refunds', 'settlement_net', 'settlement_count'].map((key) => h('th', { scope: 'col' }, t(/** @type {import('../strings.js').StringKey} */ (key)))));
  const rows = settlement.items.map((item) =>
    h(
      'tr',
      { 'data-merchant': item.merchant_id },
      h('th', { scope: 'row' }, h('a', { href: `#merchant/${item.merchant_id}` }, item.merchant_name)),
      amount('settlement_gross', item.totals.gross),
      amount('settlement_refunds', item.totals.refunds),
      amount('settlement_net', item.totals.net),
      cell('settlement_count', String(item.totals.count)),
    ),
  );
  return h('table', { class: 'settlement' }, h('thead', {}, header), h('tbody', {}, ...rows));
}
