// Set the PIN and enroll this phone as a device.
import { field, h, valueOf } from '../../shared/dom.js';
import { t } from '../strings.js';
import { messageFor } from '../wallet.js';

/** A PIN as the server takes it (paycode_core::limits): 6 to 12 digits. */
export const PIN_PATTERN = /^[0-9]{6,12}$/;

/** @param {import('../app.js').ScreenContext} context */
export function render({ wallet, root, navigate, notice }) {
  const noticeLine = h('p', { role: 'alert', class: 'alert' }, notice ?? '');
  const alert = h('p', { role: 'alert', class: 'alert' });
  const button = h('button', { type: 'submit' }, t('setup_button'));
  const pinAttributes = { type: 'password', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,12}', minlength: 6, maxlength: 12, required: true };
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h1', {}, t('setup_title')),
    noticeLine,
    h('p', {}, t('setup_intro')),
    field('pin', t('pin'), pinAttributes),
    field('pin-again', t('pin_again'), pinAttributes),
    field('device-name', t('device_name'), { type: 'text', autocomplete: 'off', maxlength: 64, value: t('device_name_default'), required: true }),
    alert,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const pin = valueOf(form, 'pin');
    if (!PIN_PATTERN.test(pin)) {
      alert.textContent = t('pin_format');
      return;
    }
    if (pin !== valueOf(form, 'pin-again')) {
      alert.textContent = t('pins_differ');
      return;
    }
    alert.textContent = '';
    button.disabled = true;
    try {
      await wallet.setPinAndEnroll(pin, valueOf(form, 'device-name').trim() || t('device_name_default'));
      navigate('pay');
    } catch (error) {
      alert.textContent = messageFor(error, 'pin');
      button.disabled = false;
      if (!wallet.session) {
        navigate('login', messageFor(error));
      }
    }
  });
  root.append(form);
  form.querySelector('input')?.focus();
}
