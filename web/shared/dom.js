// Building pages from elements, never from HTML strings, so that text from the server or
// the user can never become markup (and the Content-Security-Policy can forbid inline script).

/**
 * @typedef {Record<string, string | number | boolean | EventListener | undefined>} Attributes
 * Attributes to set; `on<event>` keys add listeners, `false`/`undefined` values are skipped.
 */

/**
 * Makes an element with attributes and children (elements or text).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child);
    }
  }
  return element;
}

/**
 * A labelled input: `<label>` text above the field, linked by id.
 * @param {string} id
 * @param {string} label
 * @param {Attributes} attributes of the input
 */
export function field(id, label, attributes) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, ...attributes }));
}

/**
 * The value of the input with `id` inside `root`.
 * @param {ParentNode} root
 * @param {string} id
 */
export function valueOf(root, id) {
  const input = root.querySelector(`#${id}`);
  return input instanceof HTMLInputElement ? input.value : '';
}
