// Taking a payment: the amount (keypad or typing), then the customer's code (a USB scanner
// typing into the focused field, the camera, or typed by hand), then the outcome in large words.
// A charge is written down before it is sent and stays written down until its outcome is known:
// a lost answer is asked again with the same reference, a payment that waits for the customer's
// PIN is polled, counted down and cancelled at its deadline, and a reload resumes whichever of
// these was under way.
import { ApiError } from '../../shared/api.js';
import { field, h, valueOf } from '../../shared/dom.js';
import { formatMoney, parseMajorUnits } from '../../shared/money.js';
import { paymentCodeFrom, secondsLeft } from '../references.js';
import { startCamera } from '../scanner.js';
import { amountRefusalText, LANGUAGE, refusalText, t } from '../strings.js';
import { DEFAULT_CONFIRM_SECONDS } from '../till.js';

/** How often a payment waiting for the customer is asked about. */
export const WAITING_POLL_MILLISECONDS = 2000;

/** How often the countdown is redrawn. */
const TICK_MILLISECONDS = 250;

/** The keypad's keys in a calculator's order (7 8 9 on top), the point and zero below. */
const KEYPAD_DIGITS = ['7', '8', '9', '4', '5', '6', '1', '2', '3', '.', '0'];

/** @param {number} milliseconds */
const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * The keypad: real buttons that type into `input` (digits and the point), delete its last
 * character, or clear it; `afterPress` runs after each.
 * @param {HTMLInputElement} input
 * @param {() => void} afterPress
 */
function keypad(input, afterPress) {
  /** @param {string} key a digit, `.`, `backspace` or `clear` */
  const press = (key) => {
    if (key === 'clear') {
      input.value = '';
    } else if (key === 'backspace') {
      input.value = input.value.slice(0, -1);
    } else if (input.value.length < input.maxLength) {
      input.value += key;
    }
    afterPress();
  };
  /** @param {string} text */
  const key = (text) => h('button', { type: 'button', class: 'key', onclick: () => press(text) }, text);
  return h(
    'div',
    { class: 'keypad', role: 'group', 'aria-label': t('keypad') },
    ...KEYPAD_DIGITS.map(key),
    h('button', { type: 'button', class: 'key', 'aria-label': t('backspace_label'), onclick: () => press('backspace') }, '⌫'),
    h('button', { type: 'button', class: 'key wide secondary', onclick: () => press('clear') }, t('clear')),
  );
}

/** @param {import('../app.js').ScreenContext} context */
export function render({ till, root, navigate, notice }) {
  const settings = till.requireSettings();
  const currency = settings.currency;
  let stopped = false;
  /** @type {(() => void) | null} */
  let stopCamera = null;

  // The amount.
  const amountAlert = h('p', { role: 'alert', class: 'alert' }, notice ?? '');
  const amountForm = h(
    'form',
    { class: 'card', novalidate: true },
    // The on-screen keypad is the tablet's keyboard: `inputmode: none` keeps the system's from
    // covering it, while a real keyboard still types into the field.
    field('amount', t('amount', { currency }), { type: 'text', inputmode: 'none', autocomplete: 'off', maxlength: 32, class: 'amount-input' }),
    amountAlert,
    h('button', { type: 'submit', class: 'big' }, t('take_payment')),
  );
  const amountInput = /** @type {HTMLInputElement} */ (amountForm.querySelector('#amount'));
  amountAlert.before(keypad(amountInput, () => (amountAlert.textContent = '')));

  // The code.
  const chargeTitle = h('h1', {});
  const codeAlert = h('p', { role: 'alert', class: 'alert' });
  const cameraStatus = h('p', { role: 'status', class: 'status' });
  const video = h('video', { class: 'camera', muted: true, playsinline: true, hidden: true, 'aria-label': t('camera_video') });
  const cameraButton = h('button', { type: 'button', class: 'secondary' }, t('camera_button'));
  const codeForm = h(
    'form',
    { class: 'card', novalidate: true, hidden: true },
    chargeTitle,
    h('p', { class: 'hint', id: 'code-hint' }, t('code_hint')),
    field('code', t('code_label'), { type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false', maxlength: 32, class: 'code-input', 'aria-describedby': 'code-hint' }),
    codeAlert,
    h('button', { type: 'submit', class: 'big' }, t('charge_button')),
    cameraButton,
    cameraStatus,
    video,
    h('button', { type: 'button', class: 'secondary', onclick: () => showAmount() }, t('change_amount')),
  );
  const codeInput = /** @type {HTMLInputElement} */ (codeForm.querySelector('#code'));

  // The outcome.
  const outcomeStatus = h('p', { role: 'status', class: 'outcome-headline' });
  const outcomeAlert = h('p', { role: 'alert', class: 'outcome-headline refused' });
  const outcomeDetail = h('p', { class: 'outcome-detail' });
  const countdown = h('p', { class: 'countdown' });
  const cancelButton = h('button', { type: 'button', class: 'danger', hidden: true }, t('cancel_button'));
  const newCodeButton = h('button', { type: 'button', class: 'big', hidden: true, onclick: () => showCode() }, t('scan_new_code'));
  const nextButton = h('button', { type: 'button', class: 'big', hidden: true, onclick: () => showAmount() }, t('next_customer'));
  const outcome = h('section', { class: 'card outcome', hidden: true }, outcomeStatus, outcomeAlert, outcomeDetail, countdown, cancelButton, newCodeButton, nextButton);

  root.append(amountForm, codeForm, outcome);

  /** The amount being charged, in minor units. */
  let amountMinor = 0;

  /** @param {HTMLElement} visible */
  function showOnly(visible) {
    for (const part of [amountForm, codeForm, outcome]) {
      part.hidden = part !== visible;
    }
  }

  function showAmount() {
    closeCamera();
    showOnly(amountForm);
    amountInput.value = '';
    amountAlert.textContent = '';
    amountInput.focus();
  }

  function showCode() {
    showOnly(codeForm);
    chargeTitle.textContent = t('charge_title', { amount: money(amountMinor) });
    codeInput.value = '';
    codeAlert.textContent = '';
    codeInput.focus();
  }

  /** @param {number} minor */
  function money(minor) {
    return formatMoney(minor, currency, LANGUAGE);
  }

  amountForm.addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      amountMinor = parseMajorUnits(valueOf(amountForm, 'amount'), currency);
    } catch (error) {
      amountAlert.textContent = amountRefusalText(error, currency);
      return;
    }
    showCode();
  });

  codeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = paymentCodeFrom(valueOf(codeForm, 'code'));
    if (code === null) {
      codeAlert.textContent = t('code_format');
      codeInput.select();
      return;
    }
    charge(code);
  });

  cameraButton.addEventListener('click', async () => {
    if (stopCamera) {
      closeCamera();
      return;
    }
    cameraStatus.textContent = t('camera_looking');
    video.hidden = false;
    try {
      const camera = await startCamera(video, (text) => {
        const code = paymentCodeFrom(text);
        if (code === null) {
          cameraStatus.textContent = t('camera_not_a_code');
          return;
        }
        codeInput.value = code;
        closeCamera();
        charge(code);
      });
      if (stopped || codeForm.hidden) {
        camera.stop();
        return;
      }
      stopCamera = camera.stop;
      video.dataset.decoder = camera.decoder;
      cameraButton.textContent = t('camera_stop');
    } catch (error) {
      video.hidden = true;
      cameraStatus.textContent = t('camera_unavailable', { reason: error instanceof Error ? error.message : String(error) });
    }
  });

  function closeCamera() {
    stopCamera?.();
    stopCamera = null;
    video.hidden = true;
    cameraStatus.textContent = '';
    cameraButton.textContent = t('camera_button');
  }

  /**
   * Shows an outcome: `headline` in large words, as a status or, for a refusal, an alert;
   * `state` picks its colour.
   * @param {{state: 'sending' | 'checking' | 'paid' | 'waiting' | 'closed' | 'refused', headline: string, detail?: string, finished: boolean}} shown
   */
  function showOutcome({ state, headline, detail = '', finished }) {
    const refused = state === 'refused';
    showOnly(outcome);
    outcome.dataset.state = state;
    outcomeStatus.textContent = refused ? '' : headline;
    outcomeAlert.textContent = refused ? headline : '';
    outcomeDetail.textContent = detail;
    countdown.textContent = '';
    cancelButton.hidden = true;
    // After a refusal the same amount is usually charged again with a new code.
    newCodeButton.hidden = !refused;
    nextButton.hidden = !finished;
    if (refused) {
      newCodeButton.focus();
    } else if (finished) {
      nextButton.focus();
    }
  }

  /**
   * Starts charging `code`: the request is written down with a fresh reference before it leaves.
   * @param {string} code
   */
  function charge(code) {
    till.savePendingCharge({
      phase: 'sending',
      request: { out_trade_no: till.newOutTradeNo(), auth_code: code, amount: amountMinor, terminal_id: settings.terminalId },
    });
    resume();
  }

  /** Carries the written-down charge on to its outcome. */
  async function resume() {
    const pending = till.pendingCharge;
    if (!pending) {
      return;
    }
    amountMinor = pending.request.amount;
    if (pending.phase === 'waiting') {
      await waitForCustomer(pending.request.out_trade_no, pending.confirm_deadline);
      return;
    }
    showOutcome({ state: 'sending', headline: t('sending'), finished: false });
    /** @type {import('../till.js').Trade} */
    let trade;
    try {
      trade = await till.untilAnswered('POST', '/v1/payments', pending.request, {
        isStopped: () => stopped,
        onRetry: (attempt) => {
          showOutcome({ state: 'checking', headline: t('checking'), detail: t('checking_detail', { reference: pending.request.out_trade_no, attempt }), finished: false });
        },
      });
    } catch (error) {
      if (!stopped) {
        refused(error);
      }
      return;
    }
    if (trade.status === 'USER_PAYING') {
      till.savePendingCharge({ ...pending, phase: 'waiting', confirm_deadline: trade.confirm_deadline ?? undefined });
      await waitForCustomer(trade.out_trade_no, trade.confirm_deadline ?? undefined, trade);
      return;
    }
    finish(trade);
  }

  /**
   * A refusal ends the charge: nothing was charged, and the reference is not used again.
   * @param {unknown} error
   */
  function refused(error) {
    till.clearPendingCharge();
    const code = error instanceof ApiError ? error.code : 'INTERNAL';
    if (code === 'UNAUTHENTICATED') {
      till.forget();
      navigate('setup', t('key_revoked'));
      return;
    }
    showOutcome({ state: 'refused', headline: t('refused'), detail: refusalText(code), finished: true });
  }

  /**
   * Shows a trade that has its outcome and forgets the pending charge.
   * @param {import('../till.js').Trade} trade
   */
  function finish(trade) {
    till.clearPendingCharge();
    const amount = money(trade.amount);
    if (trade.status === 'SUCCESS') {
      showOutcome({ state: 'paid', headline: t('paid'), detail: t('paid_detail', { amount, trade_no: trade.trade_no }), finished: true });
    } else if (trade.status === 'REVERSED') {
      showOutcome({ state: 'closed', headline: t('reversed'), detail: t('reversed_detail', { amount }), finished: true });
    } else {
      showOutcome({ state: 'closed', headline: t('closed'), detail: t('closed_detail', { amount }), finished: true });
    }
  }

  /**
   * Polls a payment the customer confirms with the PIN, counting down to its deadline; at the
   * deadline, or when the cashier presses Cancel, it is cancelled. The trade is asked for once
   * more before cancelling, so that a confirmation that came in meanwhile shows as paid (a
   * cancel after payment would reverse it).
   * @param {string} outTradeNo
   * @param {string | undefined} deadlineText
   * @param {import('../till.js').Trade} [firstTrade]
   */
  async function waitForCustomer(outTradeNo, deadlineText, firstTrade) {
    const path = `/v1/payments/${encodeURIComponent(outTradeNo)}`;
    const createdAt = firstTrade ? Date.parse(firstTrade.created_at) : till.serverNow();
    const deadline = deadlineText ? Date.parse(deadlineText) : createdAt + DEFAULT_CONFIRM_SECONDS * 1000;
    showOutcome({ state: 'waiting', headline: t('waiting'), detail: t('waiting_detail', { amount: money(amountMinor) }), finished: false });
    cancelButton.hidden = false;
    cancelButton.disabled = false;
    let cancelRequested = false;
    cancelButton.onclick = () => {
      cancelRequested = true;
      cancelButton.disabled = true;
      countdown.textContent = t('cancelling');
    };
    const ticker = setInterval(() => {
      if (!cancelRequested) {
        countdown.textContent = t('waiting_countdown', { seconds: secondsLeft(deadline, till.serverNow()) });
      }
    }, TICK_MILLISECONDS);
    countdown.textContent = t('waiting_countdown', { seconds: secondsLeft(deadline, till.serverNow()) });
    try {
      let lastPoll = 0;
      while (!stopped) {
        const overdue = secondsLeft(deadline, till.serverNow()) === 0;
        if (cancelRequested || overdue || Date.now() - lastPoll >= WAITING_POLL_MILLISECONDS) {
          lastPoll = Date.now();
          const trade = await till.call('GET', path).catch((error) => {
            if (error instanceof ApiError && !['UNREACHABLE', 'INTERNAL'].includes(error.code) && error.status < 500) {
              throw error;
            }
            return null;
          });
          if (trade && trade.status !== 'USER_PAYING') {
            finish(trade);
            return;
          }
          if (trade && (cancelRequested || overdue)) {
            const cancelled = await till.untilAnswered('POST', `${path}/cancel`, undefined, { isStopped: () => stopped });
            finish(cancelled);
            return;
          }
        }
        await sleep(TICK_MILLISECONDS);
      }
    } catch (error) {
      if (!stopped) {
        refused(error);
      }
    } finally {
      clearInterval(ticker);
      cancelButton.onclick = null;
    }
  }

  if (till.pendingCharge) {
    resume();
  } else {
    showAmount();
  }

  return () => {
    stopped = true;
    closeCamera();
  };
}
