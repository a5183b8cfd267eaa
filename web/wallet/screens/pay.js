// The payment screen: this phone's offline code as a QR code, a Code 128 barcode and 18
// digits, a countdown to the next time step, a fresh code on tap; and, while online, the
// balance, online codes on request, and the PIN dialog for payments waiting for this user.
import { UNREACHABLE, ApiError } from '../../shared/api.js';
import { drawCode128, drawQrCode, groupDigits } from '../../shared/barcodes.js';
import { field, h, valueOf } from '../../shared/dom.js';
import { formatMoney } from '../../shared/money.js';
import { LANGUAGE, t } from '../strings.js';
import { messageFor } from '../wallet.js';

/** How often the screen asks for payments waiting for this user (SPEC 6: within 10 s). */
export const PENDING_POLL_MILLISECONDS = 3000;

/** Every how many polls the balance and the device's status are read again. */
const REFRESH_EVERY_POLLS = 5;

/** How often the countdown is redrawn. */
const TICK_MILLISECONDS = 250;

/** @param {import('../app.js').ScreenContext} context */
export function render({ wallet, root, navigate, notice }) {
  const status = h('p', { role: 'status', class: 'status' });
  const alert = h('p', { role: 'alert', class: 'alert' }, notice ?? '');
  const clockWarning = h('p', { role: 'alert', class: 'warning', hidden: true });
  const balance = h('p', { class: 'balance' });
  const kind = h('p', { class: 'code-kind' }, t('offline_code_label'));
  const qr = h('canvas', { class: 'qr', role: 'img', 'aria-label': 'QR' });
  const barcode = h('canvas', { class: 'barcode', role: 'img', 'aria-label': 'Code 128' });
  const digits = h('p', { class: 'digits', id: 'code-digits', 'aria-label': t('code_digits') });
  // The bar repeats the countdown's text, so assistive technology skips it.
  const progress = h('progress', { class: 'countdown-bar', max: wallet.device?.period ?? 30, value: 0, 'aria-hidden': 'true' });
  const countdown = h('p', { class: 'countdown' });
  const newCode = h('button', { type: 'button' }, t('new_code'));
  const onlineCode = h('button', { type: 'button', class: 'secondary' }, t('online_code_button'));
  const codeCard = h('section', { class: 'card code-card' }, h('h1', {}, t('pay_hint')), kind, barcode, qr, digits, progress, countdown, newCode);
  root.append(balance, status, clockWarning, alert, codeCard, onlineCode);

  /** The step of the offline code shown, or null while an online code is shown. */
  let shownStep = /** @type {number | null} */ (null);
  /** When the online code shown expires, in server milliseconds. */
  let onlineExpiry = 0;
  let busy = false;
  let stopped = false;
  /** Trades the person declined or confirmed here, so that the dialog does not come back. */
  const handled = new Set();
  const dialog = confirmDialog(wallet, (tradeNo, outcome) => {
    handled.add(tradeNo);
    status.textContent = outcome;
    refreshBalance();
  });
  root.append(dialog.element);

  /** @param {string} code */
  function draw(code) {
    digits.textContent = groupDigits(code);
    drawQrCode(qr, code);
    drawCode128(barcode, code);
  }

  async function showOfflineCode() {
    if (busy || !wallet.device) {
      return;
    }
    busy = true;
    try {
      const result = await wallet.nextOfflineCode();
      if (result.kind === 'code') {
        kind.textContent = t('offline_code_label');
        draw(result.code);
        alert.textContent = '';
      } else {
        alert.textContent = t('codes_used_up', { seconds: wallet.secondsToNextStep() });
      }
      shownStep = result.step;
    } catch (error) {
      alert.textContent = messageFor(error);
    } finally {
      busy = false;
    }
  }

  function tick() {
    const device = wallet.device;
    if (!device) {
      return;
    }
    const seconds = wallet.secondsToNextStep();
    progress.value = seconds;
    const now = wallet.serverNow();
    if (shownStep === null) {
      countdown.textContent = '';
      if (now >= onlineExpiry) {
        showOfflineCode();
      }
      return;
    }
    countdown.textContent = t('new_code_in', { seconds });
    if (Math.floor(now / 1000 / device.period) !== shownStep) {
      showOfflineCode();
    }
    clockWarning.hidden = !wallet.clockIsOff();
    clockWarning.textContent = wallet.clockIsOff() ? t('clock_off', { seconds: Math.abs(Math.round(wallet.clockOffsetMilliseconds / 1000)) }) : '';
  }

  function showReachability() {
    status.classList.toggle('offline', !wallet.online);
    if (wallet.online) {
      if (status.textContent === t('offline_codes')) {
        status.textContent = t('online');
      }
    } else {
      status.textContent = t('offline_codes');
    }
  }

  async function refreshBalance() {
    if (!wallet.session) {
      balance.textContent = t('balance_unknown');
      return;
    }
    try {
      const answer = await wallet.call('GET', '/v1/wallet/balance');
      balance.textContent = `${t('balance')}: ${formatMoney(answer.balance, answer.currency, LANGUAGE)}`;
    } catch (error) {
      await handleFailure(error);
    }
  }

  /** @param {unknown} error */
  async function handleFailure(error) {
    if (error instanceof ApiError && error.code === 'DEVICE_REVOKED') {
      await revoked();
    } else if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
      balance.textContent = t('balance_unknown');
    }
    showReachability();
  }

  async function revoked() {
    await wallet.forgetDevice();
    navigate(wallet.session ? 'setup' : 'login', t('error_device_revoked'));
  }

  async function checkDevice() {
    try {
      if ((await wallet.deviceIsActive()) === false) {
        await revoked();
      }
    } catch (error) {
      await handleFailure(error);
    }
  }

  let polls = 0;
  async function poll() {
    if (stopped || !wallet.session) {
      return;
    }
    polls += 1;
    if (polls % REFRESH_EVERY_POLLS === 0) {
      await refreshBalance();
      await checkDevice();
    }
    try {
      const pending = await wallet.call('GET', '/v1/wallet/payments?status=USER_PAYING');
      showReachability();
      const waiting = pending.items.find((/** @type {{trade_no: string}} */ trade) => !handled.has(trade.trade_no));
      if (waiting && !dialog.isOpen() && !stopped) {
        dialog.open(waiting);
      }
    } catch (error) {
      await handleFailure(error);
    }
  }

  newCode.addEventListener('click', () => showOfflineCode());
  qr.addEventListener('click', () => showOfflineCode());
  onlineCode.addEventListener('click', async () => {
    try {
      const answer = await wallet.call('POST', '/v1/wallet/codes', { device_id: wallet.device?.id });
      onlineExpiry = Date.parse(answer.expires_at);
      shownStep = null;
      const until = new Date(onlineExpiry - wallet.clockOffsetMilliseconds).toLocaleTimeString(LANGUAGE);
      kind.textContent = t('online_code_label', { time: until });
      draw(answer.code);
      alert.textContent = '';
    } catch (error) {
      alert.textContent = error instanceof ApiError && error.code === UNREACHABLE ? t('offline_codes') : messageFor(error);
      await handleFailure(error);
    }
  });

  showOfflineCode().then(() => tick());
  refreshBalance().then(() => showReachability());
  checkDevice();
  poll();
  const ticker = setInterval(tick, TICK_MILLISECONDS);
  const poller = setInterval(poll, PENDING_POLL_MILLISECONDS);
  return () => {
    stopped = true;
    clearInterval(ticker);
    clearInterval(poller);
    dialog.close();
  };
}

/**
 * The dialog that asks for the PIN to confirm a payment waiting for this user.
 * @param {import('../wallet.js').Wallet} wallet
 * @param {(tradeNo: string, outcome: string) => void} onDone
 */
function confirmDialog(wallet, onDone) {
  const text = h('p', { class: 'confirm-text' });
  const alert = h('p', { role: 'alert', class: 'alert' });
  const pay = h('button', { type: 'submit' }, t('confirm_button'));
  const decline = h('button', { type: 'button', class: 'secondary' }, t('decline_button'));
  const form = h(
    'form',
    { method: 'dialog', novalidate: true },
    h('h2', {}, t('confirm_title')),
    text,
    field('confirm-pin', t('pin'), { type: 'password', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,12}', maxlength: 12, required: true }),
    alert,
    h('div', { class: 'buttons' }, pay, decline),
  );
  const element = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' }, form);
  form.querySelector('h2')?.setAttribute('id', 'confirm-title');
  /** @type {{trade_no: string, amount: number, currency: string, merchant_name?: string, subject?: string} | null} */
  let trade = null;
  let merchant = '';
  let amount = '';

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!trade) {
      return;
    }
    pay.disabled = true;
    try {
      await wallet.call('POST', `/v1/wallet/payments/${encodeURIComponent(trade.trade_no)}/confirm`, { pin: valueOf(form, 'confirm-pin') });
      const tradeNo = trade.trade_no;
      close();
      onDone(tradeNo, t('confirmed', { amount, merchant }));
    } catch (error) {
      alert.textContent = messageFor(error, 'pin');
      const input = form.querySelector('input');
      if (input) {
        input.value = '';
      }
    } finally {
      pay.disabled = false;
    }
  });
  decline.addEventListener('click', async () => {
    if (!trade) {
      return;
    }
    const tradeNo = trade.trade_no;
    try {
      await wallet.call('POST', `/v1/wallet/payments/${encodeURIComponent(tradeNo)}/decline`);
      close();
      onDone(tradeNo, t('declined'));
    } catch (error) {
      alert.textContent = messageFor(error);
    }
  });

  function close() {
    trade = null;
    if (element.open) {
      element.close();
    }
  }

  return {
    element,
    isOpen: () => element.open,
    close,
    /** @param {{trade_no: string, amount: number, currency: string, merchant_name?: string, subject?: string}} waiting */
    open(waiting) {
      trade = waiting;
      merchant = waiting.merchant_name || t('unknown_merchant');
      amount = formatMoney(waiting.amount, waiting.currency, LANGUAGE);
      text.textContent = t('confirm_text', { merchant, amount });
      alert.textContent = '';
      const input = form.querySelector('input');
      if (input) {
        input.value = '';
      }
      element.showModal();
      input?.focus();
    },
  };
}
