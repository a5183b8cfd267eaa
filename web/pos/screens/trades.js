// Today's trades of this merchant (today in the server's time zone, as its statements cut
// days), newest first, a page at a time, with the day's totals and a
// refund form under each paid trade. A refund's reference is written down before it is sent and
// kept until its answer comes, so a double click, a retry or a reload refunds once.
import { ApiError } from '../../shared/api.js';
import { field, h, valueOf } from '../../shared/dom.js';
import { formatMoney, majorUnits, parseMajorUnits } from '../../shared/money.js';
import { amountRefusalText, LANGUAGE, refusalText, t } from '../strings.js';

/** Trades per page. */
export const TRADES_PAGE_SIZE = 20;

/**
 * The day's totals as the API gives them.
 * @typedef {object} Totals
 * @property {number} count
 * @property {number} paid_count
 * @property {number} gross
 * @property {number} refunded
 * @property {number} net
 * @property {number} user_paying
 * @property {number} closed
 */

/** @param {import('../app.js').ScreenContext} context */
export function render({ till, root, navigate }) {
  const settings = till.requireSettings();
  let currency = settings.currency;
  const alert = h('p', { role: 'alert', class: 'alert' });
  const status = h('p', { role: 'status', class: 'status' });
  const heading = h('h1', {}, t('trades_title'));
  const totals = h('dl', { class: 'totals' });
  const list = h('ul', { class: 'trades' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('more'));
  const refresh = h('button', { type: 'button', class: 'secondary' }, t('refresh'));
  root.append(h('section', { class: 'card' }, heading, totals, status, alert, list, more, refresh));

  /** The cursor of the next page, or null at the end. */
  let nextBefore = /** @type {number | null} */ (null);
  let stopped = false;

  /** @param {number} minor */
  const money = (minor) => formatMoney(minor, currency, LANGUAGE);

  /** @param {Totals} sums */
  function drawTotals(sums) {
    /** @type {[string, string][]} */
    const rows = [
      [t('totals_paid'), String(sums.paid_count)],
      [t('totals_gross'), money(sums.gross)],
      [t('totals_refunded'), money(sums.refunded)],
      [t('totals_net'), money(sums.net)],
      [t('totals_waiting'), String(sums.user_paying)],
      [t('totals_closed'), String(sums.closed)],
    ];
    totals.replaceChildren(...rows.map(([name, value]) => h('div', {}, h('dt', {}, name), h('dd', {}, value))));
  }

  /** @param {boolean} first whether to start again from the newest */
  async function load(first) {
    alert.textContent = '';
    // No date: the server's today, in the time zone its statements use.
    const query = new URLSearchParams({ limit: String(TRADES_PAGE_SIZE) });
    if (!first && nextBefore !== null) {
      query.set('before', String(nextBefore));
    }
    more.disabled = true;
    try {
      const page = await till.call('GET', `/v1/merchant/trades?${query}`);
      if (stopped) {
        return;
      }
      currency = page.currency ?? currency;
      heading.textContent = `${t('trades_title')} · ${page.date}`;
      if (first) {
        list.replaceChildren();
      }
      drawTotals(page.totals);
      for (const trade of page.items) {
        list.append(row(trade));
      }
      if (first && page.items.length === 0) {
        list.append(h('li', { class: 'empty' }, t('no_trades')));
      }
      nextBefore = page.next_before ?? null;
      more.hidden = nextBefore === null;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
        till.forget();
        navigate('setup', t('key_revoked'));
        return;
      }
      const code = error instanceof ApiError ? error.code : 'INTERNAL';
      // NOT_FOUND here is a server without the list, not an unknown trade.
      alert.textContent = t('trades_unavailable', { message: code === 'NOT_FOUND' ? t('error_other', { code }) : refusalText(code) });
    } finally {
      more.disabled = false;
    }
  }

  /**
   * One trade: time, amount, status, terminal and numbers; a refund form for a paid trade with
   * something left to refund.
   * @param {import('../till.js').Trade} trade
   */
  function row(trade) {
    const refundedLine = h('small', { class: 'refunded' }, trade.refunded_amount > 0 ? t('refunded_part', { amount: money(trade.refunded_amount) }) : '');
    const time = new Date(trade.paid_at ?? trade.created_at).toLocaleTimeString(LANGUAGE);
    const item = h(
      'li',
      { 'data-out-trade-no': trade.out_trade_no },
      h(
        'div',
        { class: 'what' },
        h('span', { class: 'trade-amount' }, money(trade.amount)),
        h('small', {}, `${time} · ${t(`status_${trade.status}`)}${trade.terminal_id ? ` · ${trade.terminal_id}` : ''}`),
        h('small', {}, trade.out_trade_no),
        refundedLine,
      ),
    );
    if (trade.status === 'SUCCESS' && trade.refunded_amount < trade.amount) {
      item.append(refundForm(trade, refundedLine));
    }
    return item;
  }

  /**
   * @param {import('../till.js').Trade} trade
   * @param {HTMLElement} refundedLine
   */
  function refundForm(trade, refundedLine) {
    const id = `refund-${trade.out_trade_no}`;
    const open = h('button', { type: 'button', class: 'secondary' }, t('refund_button'));
    const formAlert = h('p', { role: 'alert', class: 'alert' });
    const formStatus = h('p', { role: 'status', class: 'status' });
    const submit = h('button', { type: 'submit', class: 'danger' }, t('refund_confirm'));
    const form = h(
      'form',
      { class: 'refund', novalidate: true, hidden: true },
      field(id, t('refund_amount', { currency }), { type: 'text', inputmode: 'decimal', autocomplete: 'off', maxlength: 32, value: majorUnits(trade.amount - trade.refunded_amount, currency) }),
      formAlert,
      formStatus,
      submit,
    );
    open.addEventListener('click', () => {
      form.hidden = !form.hidden;
      if (!form.hidden) {
        form.querySelector('input')?.focus();
      }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (submit.disabled) {
        return;
      }
      let amount;
      try {
        amount = parseMajorUnits(valueOf(form, id), currency);
      } catch (error) {
        formAlert.textContent = amountRefusalText(error, currency);
        return;
      }
      formAlert.textContent = '';
      submit.disabled = true;
      formStatus.textContent = t('refunding');
      const outcome = await sendRefund(trade, amount);
      formStatus.textContent = '';
      submit.disabled = false;
      if (outcome.refunded !== undefined) {
        trade.refunded_amount += outcome.refunded;
        refundedLine.textContent = t('refunded_part', { amount: money(trade.refunded_amount) });
        // Said above the list, which is read again (with the new totals) and redrawn.
        status.textContent = t('refunded', { amount: money(outcome.refunded) });
        load(true);
      } else {
        formAlert.textContent = outcome.message;
      }
    });
    return h('div', { class: 'refund-box' }, open, form);
  }

  /**
   * Sends a refund of `amount` (the one already written down for this trade, if any) until its
   * answer comes.
   * @param {import('../till.js').Trade} trade
   * @param {number} amount
   * @returns {Promise<{refunded: number} | {refunded?: undefined, message: string}>}
   */
  async function sendRefund(trade, amount) {
    const refund = till.refundFor(trade.out_trade_no, amount);
    try {
      const answer = await till.untilAnswered('POST', `/v1/payments/${encodeURIComponent(trade.out_trade_no)}/refunds`, refund, { isStopped: () => stopped });
      till.clearPendingRefund(trade.out_trade_no);
      return { refunded: answer.amount };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 0) {
        // An answer came: the refund was refused, and its reference is done with.
        till.clearPendingRefund(trade.out_trade_no);
      }
      return { message: refusalText(error instanceof ApiError ? error.code : 'INTERNAL') };
    }
  }

  /** Refunds whose answer was lost before a reload are asked again first. */
  async function resumeRefunds() {
    for (const [outTradeNo, refund] of Object.entries(till.pendingRefunds)) {
      try {
        await till.untilAnswered('POST', `/v1/payments/${encodeURIComponent(outTradeNo)}/refunds`, refund, { isStopped: () => stopped });
        status.textContent = t('refunded', { amount: money(refund.amount) });
      } catch {
        // Refused: nothing was refunded.
      }
      if (stopped) {
        return;
      }
      till.clearPendingRefund(outTradeNo);
    }
  }

  more.addEventListener('click', () => load(false));
  refresh.addEventListener('click', () => load(true));
  resumeRefunds().then(() => load(true));
  return () => {
    stopped = true;
  };
}
