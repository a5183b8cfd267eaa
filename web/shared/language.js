// The language of a page and the lookup of its strings: each page (wallet, till, console) keeps
// its own table of strings in English and Simplified Chinese, and reads it through these.

/** @typedef {'en' | 'zh-CN'} Language */

/**
 * The language of the table that best fits the browser's languages: Chinese for any `zh`,
 * English otherwise.
 * @param {readonly string[]} languages
 * @returns {Language}
 */
export function chooseLanguage(languages) {
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith('zh')) {
      return 'zh-CN';
    }
    if (lower.startsWith('en')) {
      return 'en';
    }
  }
  return 'en';
}

/** The language the pages speak in this browser. */
export const LANGUAGE = chooseLanguage(typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]);

/**
 * The lookup of `tables`: the text of a key in a language (the browser's by default), with
 * `{name}` filled in from `values`; a key missing in Chinese falls back to English.
 * @template {Record<string, string>} Table
 * @param {{en: Table, 'zh-CN': Record<keyof Table, string>}} tables
 * @returns {(key: keyof Table & string, values?: Record<string, string | number>, language?: Language) => string}
 */
export function translator(tables) {
  return (key, values = {}, language = LANGUAGE) => {
    const template = tables[language][key] ?? tables.en[key];
    return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? `{${name}}`));
  };
}
