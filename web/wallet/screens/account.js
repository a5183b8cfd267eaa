// The account: balance, transactions (paged), devices with revoke, changing the PIN, log out.
import { field, h, valueOf } from '../../shared/dom.js';
import { formatMoney } from '../../shared/money.js';
import { LANGUAGE, t } from '../strings.js';
import { messageFor } from '../wallet.js';
import { PIN_PATTERN } from './setup.js';

/** Transactions asked for per page. */
export const TRANSACTIONS_PAGE_SIZE = 20;

/** @type {Record<string, import('../strings.js').StringKey>} */
const KIND_NAMES = { payment: 'kind_payment', topup: 'kind_topup', refund: 'kind_refund', reversal: 'kind_reversal' };

/** @param {import('../app.js').ScreenContext} context */
export function render({ wallet, root, navigate, notice }) {
  const alert = h('p', { role: 'alert', class: 'alert' }, notice ?? '');
  const status = h('p', { role: 'status', class: 'status' });
  const balance = h('p', { class: 'balance' });
  let currency = 'CNY';

  const transactions = h('ul', { class: 'transactions' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('show_more'));
  /** @type {number | null} */
  let before = null;

  const devices = h('ul', { class: 'devices' });

  const pinButton = h('button', { type: 'submit' }, t('change_pin_button'));
  const pinAttributes = { type: 'password', inputmode: 'numeric', pattern: '[0-9]{6,12}', maxlength: 12, required: true };
  const pinForm = h(
    'form',
    { class: 'card', novalidate: true },
    h('h2', {}, t('change_pin_title')),
    field('current-pin', t('current_pin'), { ...pinAttributes, autocomplete: 'one-time-code' }),
    field('new-pin', t('new_pin'), { ...pinAttributes, autocomplete: 'one-time-code' }),
    pinButton,
  );
  const logout = h('button', { type: 'button', class: 'danger' }, t('logout'));

  root.append(
    h('section', { class: 'card' }, h('h1', {}, t('account_title')), h('p', {}, t('signed_in_as', { username: wallet.session?.username ?? '' })), balance),
    status,
    alert,
    h('section', { class: 'card' }, h('h2', {}, t('transactions')), transactions, more),
    h('section', { class: 'card' }, h('h2', {}, t('devices')), devices),
    pinForm,
    logout,
  );

  /** @param {unknown} error */
  function fail(error) {
    alert.textContent = messageFor(error);
    if (!wallet.session) {
      navigate('login', messageFor(error));
    }
  }

  async function loadBalance() {
    const answer = await wallet.call('GET', '/v1/wallet/balance');
    currency = answer.currency;
    balance.textContent = `${t('balance')}: ${formatMoney(answer.balance, answer.currency, LANGUAGE)}`;
  }

  async function loadTransactions() {
    const query = new URLSearchParams({ limit: String(TRANSACTIONS_PAGE_SIZE) });
    if (before !== null) {
      query.set('before', String(before));
    }
    const page = await wallet.call('GET', `/v1/wallet/transactions?${query}`);
    for (const item of page.items) {
      const kind = KIND_NAMES[item.kind] ? t(KIND_NAMES[item.kind]) : item.kind;
      const when = new Date(item.created_at).toLocaleString(LANGUAGE);
      transactions.append(
        h('li', {}, h('span', { class: 'what' }, kind, h('small', {}, when)), h('span', { class: item.amount < 0 ? 'amount out' : 'amount in' }, formatMoney(item.amount, currency, LANGUAGE))),
      );
    }
    if (transactions.childElementCount === 0) {
      transactions.append(h('li', {}, t('no_transactions')));
    }
    before = page.next_before ?? null;
    more.hidden = before === null;
  }

  async function loadDevices() {
    const list = await wallet.call('GET', '/v1/wallet/devices');
    devices.replaceChildren();
    for (const device of list.items) {
      const mine = device.id === wallet.device?.id;
      const active = device.status === 'active';
      const label = `${device.name ?? `#${device.id}`}${mine ? ` (${t('this_phone')})` : ''}`;
      devices.append(
        h(
          'li',
          {},
          h('span', { class: 'what' }, label, h('small', {}, active ? t('status_active') : t('status_revoked'))),
          active && h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('revoke')} ${label}`, onclick: () => revoke(device.id, mine) }, t('revoke')),
        ),
      );
    }
  }

  /**
   * @param {number} id
   * @param {boolean} mine
   */
  async function revoke(id, mine) {
    try {
      await wallet.call('DELETE', `/v1/wallet/devices/${id}`);
      if (mine) {
        await wallet.forgetDevice();
        navigate('setup', t('device_revoked_done'));
        return;
      }
      status.textContent = t('device_revoked_done');
      await loadDevices();
    } catch (error) {
      fail(error);
    }
  }

  more.addEventListener('click', () => loadTransactions().catch(fail));
  pinForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const newPin = valueOf(pinForm, 'new-pin');
    if (!PIN_PATTERN.test(newPin)) {
      alert.textContent = t('pin_format');
      return;
    }
    pinButton.disabled = true;
    try {
      await wallet.call('PUT', '/v1/wallet/pin', { pin: newPin, current_pin: valueOf(pinForm, 'current-pin') });
      pinForm.reset();
      alert.textContent = '';
      status.textContent = t('pin_changed');
    } catch (error) {
      alert.textContent = messageFor(error, 'pin');
    } finally {
      pinButton.disabled = false;
    }
  });
  logout.addEventListener('click', async () => {
    logout.disabled = true;
    await wallet.logOut();
    navigate('login');
  });

  loadBalance()
    .then(loadTransactions)
    .then(loadDevices)
    .catch(fail);
}
