// Setting up the till once: the merchant API key and a terminal id, checked against the server
// by reading the merchant's balance, and kept in this browser; or, once set up, what this till
// is and the button that forgets it.
import { ApiError } from '../../shared/api.js';
import { field, h, valueOf } from '../../shared/dom.js';
import { formatMoney } from '../../shared/money.js';
import { TERMINAL_ID_PATTERN } from '../references.js';
import { LANGUAGE, refusalText, t } from '../strings.js';

/** @param {import('../app.js').ScreenContext} context */
export function render(context) {
  if (context.till.settings) {
    renderSetUp(context);
  } else {
    renderForm(context);
  }
}

/** @param {import('../app.js').ScreenContext} context */
function renderForm({ till, root, navigate, notice }) {
  const noticeLine = h('p', { role: 'alert', class: 'alert' }, notice ?? '');
  const alert = h('p', { role: 'alert', class: 'alert' });
  const status = h('p', { role: 'status', class: 'status' });
  const button = h('button', { type: 'submit' }, t('setup_button'));
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h1', {}, t('setup_title')),
    noticeLine,
    h('p', {}, t('setup_intro')),
    field('api-key', t('api_key'), { type: 'password', autocomplete: 'off', spellcheck: 'false', maxlength: 256, required: true }),
    field('terminal-id', t('terminal_id'), { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: 24, pattern: TERMINAL_ID_PATTERN.source.slice(1, -1), required: true, 'aria-describedby': 'terminal-id-hint' }),
    h('p', { class: 'hint', id: 'terminal-id-hint' }, t('terminal_id_hint')),
    status,
    alert,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const apiKey = valueOf(form, 'api-key').trim();
    const terminalId = valueOf(form, 'terminal-id').trim();
    alert.textContent = '';
    noticeLine.textContent = '';
    if (!apiKey) {
      alert.textContent = t('api_key_missing');
      return;
    }
    if (!TERMINAL_ID_PATTERN.test(terminalId)) {
      alert.textContent = t('terminal_id_format');
      return;
    }
    button.disabled = true;
    status.textContent = t('setup_checking');
    try {
      const balance = await till.call('GET', '/v1/merchant/balance', undefined, apiKey);
      till.saveSettings({ apiKey, terminalId, currency: balance.currency });
      navigate('charge');
    } catch (error) {
      status.textContent = '';
      alert.textContent = error instanceof ApiError && error.code === 'UNAUTHENTICATED' ? t('key_refused') : refusalText(error instanceof ApiError ? error.code : 'INTERNAL');
      button.disabled = false;
    }
  });
  root.append(form);
  form.querySelector('input')?.focus();
}

/** @param {import('../app.js').ScreenContext} context */
function renderSetUp({ till, root, navigate, notice }) {
  const settings = till.requireSettings();
  const summary = h('p', { role: 'status', class: 'status' });
  const alert = h('p', { role: 'alert', class: 'alert' }, notice ?? '');
  const forget = h('button', { type: 'button', class: 'danger' }, t('forget_button'));
  root.append(h('section', { class: 'card' }, h('h1', {}, t('setup_title')), summary, alert, forget));
  const describe = (/** @type {string} */ balance) => {
    summary.textContent = t('set_up_as', { terminal: settings.terminalId, balance });
  };
  describe('…');
  till
    .call('GET', '/v1/merchant/balance')
    .then((answer) => describe(formatMoney(answer.balance, answer.currency, LANGUAGE)))
    .catch((error) => {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
        till.forget();
        navigate('setup', t('key_revoked'));
        return;
      }
      alert.textContent = refusalText(error instanceof ApiError ? error.code : 'INTERNAL');
    });
  forget.addEventListener('click', () => {
    if (till.pendingCharge) {
      alert.textContent = t('forget_blocked');
      return;
    }
    till.forget();
    navigate('setup', t('forgotten'));
  });
}
