// Logging in with the admin key, checked against the server before it is kept.
import { ApiError } from '../../shared/api.js';
import { field, h, valueOf } from '../../shared/dom.js';
import { t } from '../strings.js';
import { MessageLine, errorMessage, whileBusy } from '../ui.js';

/** @param {import('../app.js').ScreenContext} context */
export function render({ admin, root, navigate, notice, problem }) {
  const message = new MessageLine();
  if (notice) {
    message.ok(notice);
  }
  if (problem) {
    message.fail(problem);
  }
  const button = h('button', { type: 'submit' }, t('login_button'));
  const form = h(
    'form',
    { class: 'card narrow' },
    h('h1', {}, t('login_title')),
    h('p', {}, t('login_intro')),
    field('admin-key', t('admin_key'), { type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false' }),
    button,
    message.element,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    whileBusy(button, message, async () => {
      try {
        await admin.logIn(valueOf(form, 'admin-key').trim());
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          message.fail(t('error_wrong_key'));
          return;
        }
        message.fail(errorMessage(error));
        return;
      }
      navigate('users');
    });
  });
  root.append(form);
  form.querySelector('input')?.focus();
}
