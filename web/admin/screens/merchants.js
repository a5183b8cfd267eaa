// Merchants: create one (its first API key shown once), list them a page at a time, and one
// merchant's page (`#merchant/ID`): its keys (add one, shown once; revoke one) and its webhook
// (set it, its signing secret shown once; remove it).
import { field, h, valueOf } from '../../shared/dom.js';
import { t } from '../strings.js';
import { MessageLine, card, confirmAction, errorMessage, factList, localTime, pagedList, whileBusy } from '../ui.js';

/** @typedef {import('../console.js').AdminClient} AdminClient */

/** @param {import('../app.js').ScreenContext} context */
export function render({ admin, root, notice }) {
  const message = new MessageLine();
  if (notice) {
    message.ok(notice);
  }
  const created = h('div', { class: 'shown-once-slot' });
  const list = h('div', {}, listCard(admin));
  /** @param {import('../console.js').Merchant} merchant */
  const onCreated = (merchant) => {
    message.ok(t('merchant_created', { name: merchant.name, id: merchant.id }));
    created.replaceChildren(shownOnce(merchant.api_key ?? '', () => created.replaceChildren()));
    list.replaceChildren(listCard(admin));
    created.scrollIntoView({ block: 'nearest' });
  };
  root.append(h('h1', {}, t('merchants_title')), message.element, created, createCard(admin, onCreated), list);
}

/**
 * @param {AdminClient} admin
 * @param {(merchant: import('../console.js').Merchant) => void} onCreated
 */
function createCard(admin, onCreated) {
  const formMessage = new MessageLine();
  const button = h('button', { type: 'submit' }, t('create_merchant_button'));
  const form = h('form', {}, field('merchant-name', t('merchant_name'), { type: 'text', autocomplete: 'organization', required: true, maxlength: 100 }), button, formMessage.element);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    whileBusy(button, formMessage, async () => {
      const merchant = await admin.createMerchant(valueOf(form, 'merchant-name').trim());
      form.reset();
      formMessage.clear();
      onCreated(merchant);
    });
  });
  return card(t('create_merchant_title'), form);
}

/** @param {AdminClient} admin */
function listCard(admin) {
  return card(
    t('merchants_title'),
    pagedList({
      listClass: 'merchants',
      empty: t('no_merchants'),
      load: async (after) => {
        const page = await admin.merchants(typeof after === 'number' ? after : null);
        return { items: page.items, next: page.next_after };
      },
      row: (merchant) =>
        h(
          'li',
          {},
          h('a', { href: `#merchant/${merchant.id}`, class: 'row-link' }, h('strong', {}, merchant.name), h('small', {}, t('merchant_row', { id: merchant.id, created: localTime(merchant.created_at) }))),
          h('a', { href: `#merchant/${merchant.id}`, class: 'button secondary' }, t('api_keys')),
        ),
    }),
  );
}

/** How a secret shown once is labelled: an API key unless told otherwise. */
const API_KEY_LABELS = { fieldId: 'new-api-key', title: t('new_key_title'), warning: t('new_key_warning') };

/** The labels of a webhook's new signing secret. */
const WEBHOOK_SECRET_LABELS = { fieldId: 'new-webhook-secret', title: t('new_secret_title'), warning: t('new_secret_warning') };

/**
 * A secret the server will never show again (an API key, a webhook's signing secret): the
 * text, a copy button and a plain warning. The secret is in a read-only field so that it can
 * also be selected and copied by hand.
 * @param {string} secret
 * @param {() => void} onDone when the operator says it is copied
 * @param {{fieldId: string, title: string, warning: string}} [labels]
 */
export function shownOnce(secret, onDone, labels = API_KEY_LABELS) {
  const message = new MessageLine();
  const keyField = field(labels.fieldId, labels.title, { type: 'text', readonly: true, value: secret, spellcheck: 'false', autocomplete: 'off', class: 'secret' });
  const copy = h('button', { type: 'button' }, t('copy'));
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      message.ok(t('copied'));
    } catch {
      const input = keyField.querySelector('input');
      input?.select();
      message.fail(t('copy_failed'));
    }
  });
  const done = h('button', { type: 'button', class: 'secondary' }, t('done_copied'));
  done.addEventListener('click', onDone);
  return h('section', { class: 'card shown-once', 'aria-live': 'polite' }, h('p', { class: 'warning', role: 'alert' }, labels.warning), keyField, h('div', { class: 'buttons' }, copy, done), message.element);
}

/** @param {import('../app.js').ScreenContext} context */
export function renderMerchant({ admin, root, navigate, id, notice }) {
  const message = new MessageLine();
  if (notice) {
    message.ok(notice);
  }
  root.append(h('p', { class: 'back' }, h('a', { href: '#merchants' }, t('back_to_merchants'))));
  const refresh = (/** @type {string} */ news) => navigate(`merchant/${id}`, {}, news);
  Promise.all([admin.merchant(id), admin.merchantKeys(id), admin.merchantWebhook(id)])
    .then(([merchant, keys, webhookUrl]) => {
      const slot = h('div', { class: 'shown-once-slot' });
      const add = h('button', { type: 'button' }, t('add_key'));
      add.addEventListener('click', () =>
        whileBusy(add, message, async () => {
          const key = await admin.addMerchantKey(id);
          // The list is drawn again under the key, which stays until the operator is done.
          const fresh = await admin.merchantKeys(id);
          list.replaceChildren(...fresh.items.map((info) => keyRow(admin, id, info, message, refresh)));
          slot.replaceChildren(shownOnce(key.api_key, () => slot.replaceChildren()));
        }),
      );
      const list = h('ul', { class: 'rows keys' }, ...keys.items.map((info) => keyRow(admin, id, info, message, refresh)));
      root.append(
        h('h1', {}, t('merchant_title', { name: merchant?.name ?? String(id) })),
        message.element,
        slot,
        h(
          'section',
          { class: 'card' },
          factList([
            [t('merchant_id'), String(id)],
            [t('created_at'), localTime(merchant?.created_at)],
          ]),
        ),
        card(t('api_keys'), h('p', { class: 'hint' }, t('keys_intro')), keys.items.length === 0 ? h('p', {}, t('no_keys')) : list, add),
        webhookCard(admin, id, webhookUrl, refresh),
      );
    })
    .catch((error) => {
      root.append(message.element);
      message.fail(errorMessage(error));
    });
}

/**
 * @param {AdminClient} admin
 * @param {number} merchantId
 * @param {import('../console.js').MerchantKeyInfo} info
 * @param {MessageLine} message
 * @param {(news: string) => void} refresh
 */
function keyRow(admin, merchantId, info, message, refresh) {
  const state = info.revoked_at ? t('key_revoked', { time: localTime(info.revoked_at) }) : t('key_live');
  const row = h(
    'li',
    { 'data-key': info.id },
    h('span', { class: 'what' }, h('strong', {}, t('key_row', { id: info.id, created: localTime(info.created_at) })), h('span', { class: `badge ${info.revoked_at ? 'revoked' : 'active'}` }, state)),
  );
  if (!info.revoked_at) {
    const revoke = h('button', { type: 'button', class: 'danger' }, t('revoke'));
    revoke.addEventListener('click', () =>
      whileBusy(revoke, message, async () => {
        if (await confirmAction(t('revoke_key_question', { id: info.id }), t('revoke_confirm'))) {
          await admin.revokeMerchantKey(merchantId, info.id);
          refresh(t('key_revoked_done', { id: info.id }));
        }
      }),
    );
    row.append(revoke);
  }
  return row;
}

/**
 * The merchant's webhook: the URL now (or none), a form that sets it and shows the new signing
 * secret once, and a button that removes it after a confirmation.
 * @param {AdminClient} admin
 * @param {number} merchantId
 * @param {string | null} url the webhook now
 * @param {(news: string) => void} refresh
 */
function webhookCard(admin, merchantId, url, refresh) {
  const message = new MessageLine();
  const current = h('dd', { class: 'webhook-url' }, url ?? t('webhook_none'));
  const facts = h('dl', { class: 'facts' }, h('dt', {}, t('webhook_current')), current);
  // The secret stays on screen until the operator is done, so a new URL is shown in place
  // rather than by drawing the page again.
  const slot = h('div', { class: 'shown-once-slot' });
  const button = h('button', { type: 'submit' }, t('webhook_set_button'));
  const form = h(
    'form',
    { class: 'webhook' },
    field('webhook-url', t('webhook_url'), { type: 'url', required: true, maxlength: 2048, autocomplete: 'url', spellcheck: 'false', placeholder: 'https://' }),
    button,
  );
  const remove = h('button', { type: 'button', class: 'danger' }, t('webhook_remove'));
  remove.hidden = url === null;
  remove.addEventListener('click', () =>
    whileBusy(remove, message, async () => {
      if (await confirmAction(t('webhook_remove_question'), t('webhook_remove_confirm'))) {
        await admin.deleteMerchantWebhook(merchantId);
        refresh(t('webhook_removed'));
      }
    }),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    whileBusy(button, message, async () => {
      const webhook = await admin.setMerchantWebhook(merchantId, valueOf(form, 'webhook-url').trim());
      form.reset();
      current.textContent = webhook.url;
      remove.hidden = false;
      message.ok(t('webhook_set_done', { url: webhook.url }));
      slot.replaceChildren(shownOnce(webhook.secret, () => slot.replaceChildren(), WEBHOOK_SECRET_LABELS));
    });
  });
  return card(t('webhook_title'), h('p', { class: 'hint' }, t('webhook_intro')), facts, slot, form, remove, message.element);
}
