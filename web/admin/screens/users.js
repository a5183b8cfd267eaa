// Users: search by the start of the username (the search lives in the URL, `#users?prefix=al`,
// so that a reload or the back button keeps it), page through the matches, create a user.
import { field, h, valueOf } from '../../shared/dom.js';
import { t } from '../strings.js';
import { MessageLine, card, localTime, pagedList, whileBusy } from '../ui.js';

/** @param {import('../app.js').ScreenContext} context */
export function render({ admin, root, navigate, parameters, notice }) {
  const prefix = parameters.get('prefix') ?? '';
  root.append(h('h1', {}, t('users_title')), searchCard(admin, prefix, navigate, notice), createCard(admin, navigate));
}

/**
 * @param {import('../console.js').AdminClient} admin
 * @param {string} prefix
 * @param {import('../app.js').Navigate} navigate
 * @param {string | undefined} notice
 */
function searchCard(admin, prefix, navigate, notice) {
  const form = h(
    'form',
    { class: 'search', role: 'search' },
    field('username-prefix', t('username_prefix'), { type: 'search', value: prefix, autocomplete: 'off', spellcheck: 'false', maxlength: 64, 'aria-describedby': 'username-prefix-hint' }),
    h('button', { type: 'submit' }, t('search')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate('users', { prefix: valueOf(form, 'username-prefix').trim() });
  });
  const message = new MessageLine();
  if (notice) {
    message.ok(notice);
  }
  const results = pagedList({
    listClass: 'users',
    empty: t('no_users'),
    load: async (after) => {
      const page = await admin.users(prefix, typeof after === 'number' ? after : null);
      return { items: page.items, next: page.next_after };
    },
    row: (user) =>
      h(
        'li',
        {},
        h('a', { href: `#user/${user.id}`, class: 'row-link' }, h('strong', {}, user.username), h('small', {}, t('user_row', { id: user.id, created: localTime(user.created_at) }))),
      ),
  });
  return h('section', { class: 'card' }, message.element, form, h('p', { class: 'hint', id: 'username-prefix-hint' }, t('username_prefix_hint')), results);
}

/**
 * @param {import('../console.js').AdminClient} admin
 * @param {import('../app.js').Navigate} navigate
 */
function createCard(admin, navigate) {
  const message = new MessageLine();
  const button = h('button', { type: 'submit' }, t('create_user_button'));
  const form = h(
    'form',
    {},
    field('new-username', t('username'), { type: 'text', autocomplete: 'off', required: true, spellcheck: 'false', maxlength: 64 }),
    field('new-password', t('password'), { type: 'password', autocomplete: 'new-password', required: true }),
    button,
    message.element,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    whileBusy(button, message, async () => {
      const user = await admin.createUser(valueOf(form, 'new-username').trim(), valueOf(form, 'new-password'));
      navigate(`user/${user.id}`, {}, t('user_created', { username: user.username }));
    });
  });
  return card(t('create_user_title'), form);
}
