// Log in with username and password.
import { field, h, valueOf } from '../../shared/dom.js';
import { t } from '../strings.js';
import { messageFor } from '../wallet.js';

/** @param {import('../app.js').ScreenContext} context */
export function render({ wallet, root, navigate, notice }) {
  const alert = h('p', { role: 'alert', class: 'alert' }, notice ?? '');
  const button = h('button', { type: 'submit' }, t('login_button'));
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h1', {}, t('login_title')),
    field('username', t('username'), { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' }),
    field('password', t('password'), { type: 'password', autocomplete: 'current-password', required: true }),
    alert,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.textContent = '';
    button.disabled = true;
    try {
      await wallet.logIn(valueOf(form, 'username').trim(), valueOf(form, 'password'));
      navigate(wallet.device ? 'pay' : 'setup');
    } catch (error) {
      alert.textContent = messageFor(error, 'login');
      button.disabled = false;
    }
  });
  root.append(form);
  form.querySelector('input')?.focus();
}
