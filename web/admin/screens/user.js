// One user: balance and PIN state, a top-up form, the devices (unlock, revoke) and the history.
//
// A top-up never happens twice: its reference is drawn when the form is drawn and kept until
// the server answers, and the server makes one top-up per reference. So a double click, or a
// retry after an answer that was lost, sends the same reference and gets the first top-up back.
import { ApiError, UNREACHABLE } from '../../shared/api.js';
import { field, h, valueOf } from '../../shared/dom.js';
import { AmountError, parseMajorUnits } from '../../shared/money.js';
import { t } from '../strings.js';
import { MessageLine, amountMessage, card, confirmAction, errorMessage, factList, localTime, money, pagedList, whileBusy } from '../ui.js';

/** @typedef {import('../console.js').AdminClient} AdminClient */
/** @typedef {import('../console.js').UserOverview} UserOverview */
/** @typedef {import('../console.js').Device} Device */
/** @typedef {(news: string) => void} Refresh draws the screen again from fresh data, saying `news` */

/** @param {import('../app.js').ScreenContext} context */
export function render({ admin, root, navigate, id, notice }) {
  const message = new MessageLine();
  if (notice) {
    message.ok(notice);
  }
  root.append(h('p', { class: 'back' }, h('a', { href: '#users' }, t('back_to_users'))));
  /** @type {Refresh} */
  const refresh = (news) => navigate(`user/${id}`, {}, news);
  admin
    .user(id)
    .then((overview) => {
      root.append(
        h('h1', {}, t('user_title', { username: overview.user.username })),
        message.element,
        h('div', { class: 'columns' }, h('div', {}, factsCard(overview), topupCard(admin, overview, refresh)), devicesCard(admin, overview, refresh)),
        historyCard(admin, overview),
      );
    })
    .catch((error) => {
      root.append(message.element);
      message.fail(errorMessage(error));
    });
}

/** @param {UserOverview} overview */
function factsCard(overview) {
  let pin = overview.pin_set ? t('pin_set') : t('pin_not_set');
  if (overview.pin_locked_until && Date.parse(overview.pin_locked_until) > Date.now()) {
    pin = t('pin_locked_until', { time: localTime(overview.pin_locked_until) });
  }
  return h(
    'section',
    { class: 'card' },
    h('p', { class: 'balance' }, `${t('balance')}: `, h('span', { id: 'balance' }, money(overview.balance, overview.currency))),
    factList([
      [t('user_id'), String(overview.user.id)],
      [t('account_id'), String(overview.user.account_id)],
      [t('created_at'), localTime(overview.user.created_at)],
      [t('pin'), pin],
    ]),
  );
}

/** A reference no other top-up has: random, so that two consoles never share one. */
function newReference() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `console-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * @param {AdminClient} admin
 * @param {UserOverview} overview
 * @param {Refresh} refresh
 */
function topupCard(admin, overview, refresh) {
  const { currency } = overview;
  const reference = newReference();
  /** The amount of a top-up whose answer was lost: a retry must send the same one. */
  let unansweredAmount = /** @type {number | null} */ (null);
  const message = new MessageLine();
  const button = h('button', { type: 'submit' }, t('topup_button'));
  const form = h(
    'form',
    { class: 'topup' },
    field('topup-amount', t('amount_in', { currency }), { type: 'text', inputmode: 'decimal', autocomplete: 'off', required: true, placeholder: '0.00', maxlength: 20 }),
    button,
    message.element,
  );
  const amountField = /** @type {HTMLInputElement} */ (form.querySelector('#topup-amount'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    whileBusy(button, message, async () => {
      let amount = unansweredAmount;
      if (amount === null) {
        try {
          amount = parseMajorUnits(valueOf(form, 'topup-amount'), currency);
        } catch (error) {
          message.fail(error instanceof AmountError ? amountMessage(error, currency) : String(error));
          return;
        }
      }
      message.ok(t('topping_up'));
      try {
        const topup = await admin.topup(overview.user.id, amount, reference);
        refresh(t('topup_done', { amount: money(topup.amount, currency) }));
      } catch (error) {
        if (error instanceof ApiError && (error.code === UNREACHABLE || error.status >= 500)) {
          // The request may have reached the server: only the same reference and amount may
          // be sent again.
          unansweredAmount = amount;
          amountField.readOnly = true;
          message.fail(t('topup_unknown'));
          return;
        }
        throw error;
      }
    });
  });
  return card(t('topup_title'), form);
}

/**
 * @param {AdminClient} admin
 * @param {UserOverview} overview
 * @param {Refresh} refresh
 */
function devicesCard(admin, overview, refresh) {
  const message = new MessageLine();
  const list = h('ul', { class: 'rows devices' }, ...overview.devices.map((device) => deviceRow(admin, device, message, refresh)));
  return card(
    t('devices_title'),
    overview.devices.length === 0 ? h('p', {}, t('no_devices')) : list,
    message.element,
    overview.devices.some((device) => device.status === 'active') && h('p', { class: 'hint' }, t('unlock_hint')),
  );
}

/** @param {Device} device */
function deviceStatus(device) {
  if (device.status === 'revoked') {
    return { text: t('status_revoked'), kind: 'revoked' };
  }
  if (device.locked_until && Date.parse(device.locked_until) > Date.now()) {
    return { text: t('status_locked', { time: localTime(device.locked_until) }), kind: 'locked' };
  }
  return { text: t('status_active'), kind: 'active' };
}

/**
 * @param {AdminClient} admin
 * @param {Device} device
 * @param {MessageLine} message
 * @param {Refresh} refresh
 */
function deviceRow(admin, device, message, refresh) {
  const name = device.name || t('device_name_unknown');
  const status = deviceStatus(device);
  const actions = h('div', { class: 'actions' });
  if (device.status === 'active') {
    const unlock = h('button', { type: 'button', class: 'secondary' }, t('unlock'));
    unlock.addEventListener('click', () =>
      whileBusy(unlock, message, async () => {
        await admin.unlockDevice(device.id);
        refresh(t('unlocked', { name }));
      }),
    );
    const revoke = h('button', { type: 'button', class: 'danger' }, t('revoke'));
    revoke.addEventListener('click', () =>
      whileBusy(revoke, message, async () => {
        if (await confirmAction(t('revoke_question', { name }), t('revoke_confirm'))) {
          await admin.revokeDevice(device.id);
          refresh(t('revoked', { name }));
        }
      }),
    );
    actions.append(unlock, revoke);
  }
  return h(
    'li',
    { 'data-device': device.id },
    h(
      'div',
      { class: 'what' },
      h('strong', {}, name),
      h('span', { class: `badge ${status.kind}` }, status.text),
      h('small', {}, t('device_line', { id: device.id, created: localTime(device.created_at), last: localTime(device.last_used_at) })),
      device.failed_attempts > 0 && h('small', {}, t('device_failures', { count: device.failed_attempts })),
    ),
    actions,
  );
}

/**
 * @param {AdminClient} admin
 * @param {UserOverview} overview
 */
function historyCard(admin, overview) {
  /** @type {Record<string, string>} */
  const kinds = { payment: t('kind_payment'), topup: t('kind_topup'), refund: t('kind_refund'), reversal: t('kind_reversal') };
  return card(
    t('transactions_title'),
    pagedList({
      listClass: 'transactions',
      empty: t('no_transactions'),
      load: async (before) => {
        const page = await admin.transactions(overview.user.id, typeof before === 'number' ? before : null);
        return { items: page.items, next: page.next_before };
      },
      row: (entry) =>
        h(
          'li',
          {},
          h('span', { class: 'what' }, h('strong', {}, kinds[entry.kind] ?? entry.kind), h('small', {}, localTime(entry.created_at)), h('small', { class: 'reference' }, entry.reference)),
          h('span', { class: entry.amount >= 0 ? 'amount in' : 'amount out' }, money(entry.amount, overview.currency)),
        ),
    }),
  );
}
