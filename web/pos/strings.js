// Every text the till shows, in English and Simplified Chinese, chosen by the browser's
// language. `{name}` marks a value filled in when shown. Refusals from the API are keyed by
// their stable code (`error_CODE_USED`), each saying what the cashier should do next.
import { AmountError, currencyDecimals, formatMoney, MAX_AMOUNT_MINOR } from '../shared/money.js';

const STRINGS = {
  en: {
    app_name: 'paycode till',
    nav_charge: 'Charge',
    nav_trades: 'Today',
    nav_setup: 'Till',
    setup_title: 'Set up this till',
    setup_intro: 'Enter the merchant API key and a name for this till. Both stay in this browser only.',
    api_key: 'Merchant API key',
    terminal_id: 'Terminal id',
    terminal_id_hint: 'Up to 24 letters, digits, “-”, “_” or “.”, such as till-1.',
    terminal_id_format: 'A terminal id is 1 to 24 letters, digits, “-”, “_” or “.”.',
    api_key_missing: 'Enter the merchant API key.',
    setup_button: 'Save and check the key',
    setup_checking: 'Checking the key…',
    set_up_as: 'This till is {terminal}. Merchant balance: {balance}.',
    forget_button: 'Forget this till',
    forgotten: 'The key and the terminal id were removed from this browser.',
    forget_blocked: 'A payment is still being checked. Wait for its outcome first.',
    key_refused: 'The server refused this key. Check it and try again.',
    key_revoked: 'The server no longer accepts this till’s key. Enter a valid key.',
    amount: 'Amount ({currency})',
    keypad: 'Keypad',
    backspace_label: 'Delete the last digit',
    clear: 'Clear',
    take_payment: 'Take payment',
    amount_empty: 'Type an amount, such as 12.50.',
    amount_negative: 'An amount cannot be negative.',
    amount_syntax: 'An amount is written as digits with at most one decimal point, such as 12.50.',
    amount_decimals: 'An amount has at most {decimals} digits after the decimal point.',
    amount_too_large: 'An amount is at most {limit}.',
    amount_zero: 'An amount must be more than zero.',
    charge_title: 'Charge {amount}',
    code_label: 'Payment code',
    code_hint: 'Scan the customer’s code, or type its 18 digits and press Enter.',
    code_format: 'A payment code is 18 digits.',
    charge_button: 'Charge',
    camera_button: 'Scan with the camera',
    camera_stop: 'Stop the camera',
    camera_looking: 'Hold the customer’s code in front of the camera.',
    camera_unavailable: 'The camera cannot be used: {reason}',
    camera_not_a_code: 'That is not a payment code.',
    camera_video: 'Camera picture',
    change_amount: 'Change the amount',
    sending: 'Charging…',
    checking: 'Checking…',
    checking_detail: 'The answer was lost. Asking again with the same reference {reference} (try {attempt}); it is never charged twice.',
    paid: 'Paid',
    paid_detail: '{amount} · trade {trade_no}',
    waiting: 'Waiting for the customer',
    waiting_detail: 'The customer confirms {amount} with the PIN in the wallet.',
    waiting_countdown: '{seconds} s left',
    cancel_button: 'Cancel the payment',
    cancelling: 'Cancelling…',
    closed: 'Closed',
    closed_detail: '{amount} was not paid; nothing was charged.',
    reversed: 'Cancelled and refunded',
    reversed_detail: 'The payment of {amount} was reversed; the money went back to the customer.',
    refused: 'Not paid',
    next_customer: 'Next customer',
    scan_new_code: 'Scan a new code',
    error_CODE_USED: 'This code was already used. Ask the customer to refresh the code.',
    error_CODE_EXPIRED: 'This code has expired. Ask the customer to show a new code.',
    error_CODE_INVALID: 'This code is not valid. Ask the customer to show a new code, or type it again carefully.',
    error_INVALID_CODE_FORMAT: 'A payment code is 18 digits. Scan or type it again.',
    error_INSUFFICIENT_FUNDS: 'Not enough money in the customer’s wallet. Ask for another way to pay.',
    error_DEVICE_LOCKED: 'The customer’s phone is locked after too many wrong codes. The customer can ask the operator to unlock it.',
    error_DEVICE_REVOKED: 'The customer’s phone was removed from the account. Ask the customer to enroll it again.',
    error_LIMIT_EXCEEDED: 'Over the customer’s limit. Ask for a smaller amount or another way to pay.',
    error_RATE_LIMITED: 'Too many attempts. Wait a minute and try again.',
    error_PIN_LOCKED: 'The customer typed too many wrong PINs. Ask for another way to pay.',
    error_INVALID_AMOUNT: 'The server refused the amount. Check it and try again.',
    error_OUT_TRADE_NO_CONFLICT: 'This reference belongs to another payment. Start the payment again.',
    error_TRADE_NOT_CANCELLABLE: 'This payment can no longer be cancelled. Refund it from today’s trades.',
    error_TRADE_NOT_REFUNDABLE: 'This trade cannot be refunded.',
    error_REFUND_EXCEEDS_PAYMENT: 'That is more than is left to refund of this trade.',
    error_NOT_FOUND: 'The server does not know this trade.',
    error_UNREACHABLE: 'Cannot reach the server. Check the connection and try again.',
    error_other: 'Something went wrong ({code}). Try again.',
    trades_title: 'Today’s trades',
    totals_paid: 'Paid',
    totals_gross: 'Taken',
    totals_refunded: 'Refunded',
    totals_net: 'Net',
    totals_waiting: 'Waiting',
    totals_closed: 'Closed',
    no_trades: 'No trades today.',
    more: 'More',
    refresh: 'Refresh',
    trades_unavailable: 'Today’s trades could not be loaded: {message}',
    refund_button: 'Refund',
    refund_amount: 'Amount to refund ({currency})',
    refund_confirm: 'Refund now',
    refunding: 'Refunding…',
    refunded: 'Refunded {amount}.',
    refunded_part: '{amount} refunded',
    status_SUCCESS: 'Paid',
    status_USER_PAYING: 'Waiting',
    status_CLOSED: 'Closed',
    status_REVERSED: 'Reversed',
  },
  'zh-CN': {
    app_name: 'paycode 收银台',
    nav_charge: '收款',
    nav_trades: '今日',
    nav_setup: '设置',
    setup_title: '设置这台收银机',
    setup_intro: '请输入商户 API 密钥和这台收银机的编号。它们只保存在这个浏览器中。',
    api_key: '商户 API 密钥',
    terminal_id: '终端编号',
    terminal_id_hint: '最多 24 个字母、数字、“-”、“_”或“.”，例如 till-1。',
    terminal_id_format: '终端编号为 1 到 24 个字母、数字、“-”、“_”或“.”。',
    api_key_missing: '请输入商户 API 密钥。',
    setup_button: '保存并验证密钥',
    setup_checking: '正在验证密钥…',
    set_up_as: '本机终端编号：{terminal}。商户余额：{balance}。',
    forget_button: '清除本机设置',
    forgotten: '密钥和终端编号已从这个浏览器中删除。',
    forget_blocked: '还有一笔付款正在查询，请等待结果。',
    key_refused: '服务器拒绝了此密钥，请检查后重试。',
    key_revoked: '服务器不再接受这台收银机的密钥，请输入有效的密钥。',
    amount: '金额（{currency}）',
    keypad: '数字键盘',
    backspace_label: '删除最后一位',
    clear: '清除',
    take_payment: '收款',
    amount_empty: '请输入金额，例如 12.50。',
    amount_negative: '金额不能为负数。',
    amount_syntax: '金额只能由数字和最多一个小数点组成，例如 12.50。',
    amount_decimals: '金额小数点后最多 {decimals} 位。',
    amount_too_large: '金额最多为 {limit}。',
    amount_zero: '金额必须大于零。',
    charge_title: '收款 {amount}',
    code_label: '付款码',
    code_hint: '扫描顾客的付款码，或输入 18 位数字后按回车。',
    code_format: '付款码为 18 位数字。',
    charge_button: '收款',
    camera_button: '用摄像头扫码',
    camera_stop: '关闭摄像头',
    camera_looking: '请将顾客的付款码对准摄像头。',
    camera_unavailable: '无法使用摄像头：{reason}',
    camera_not_a_code: '这不是付款码。',
    camera_video: '摄像头画面',
    change_amount: '修改金额',
    sending: '正在收款…',
    checking: '正在查询…',
    checking_detail: '未收到应答。正在用同一单号 {reference} 重新查询（第 {attempt} 次），不会重复扣款。',
    paid: '已付款',
    paid_detail: '{amount} · 交易号 {trade_no}',
    waiting: '等待顾客确认',
    waiting_detail: '顾客正在钱包中输入支付密码确认 {amount}。',
    waiting_countdown: '剩余 {seconds} 秒',
    cancel_button: '取消付款',
    cancelling: '正在取消…',
    closed: '已关闭',
    closed_detail: '{amount} 未付款，没有扣款。',
    reversed: '已撤销并退款',
    reversed_detail: '{amount} 的付款已撤销，款项已退回顾客。',
    refused: '未付款',
    next_customer: '下一位顾客',
    scan_new_code: '扫描新的付款码',
    error_CODE_USED: '此付款码已使用。请顾客刷新付款码。',
    error_CODE_EXPIRED: '此付款码已过期。请顾客出示新的付款码。',
    error_CODE_INVALID: '付款码无效。请顾客出示新的付款码，或仔细重新输入。',
    error_INVALID_CODE_FORMAT: '付款码为 18 位数字。请重新扫描或输入。',
    error_INSUFFICIENT_FUNDS: '顾客钱包余额不足。请顾客换一种方式付款。',
    error_DEVICE_LOCKED: '顾客的手机因错误次数过多已被锁定。顾客可请运营人员解锁。',
    error_DEVICE_REVOKED: '顾客的手机已从账户中移除。请顾客重新绑定。',
    error_LIMIT_EXCEEDED: '超过顾客的限额。请减少金额或换一种方式付款。',
    error_RATE_LIMITED: '尝试次数过多，请稍等一分钟再试。',
    error_PIN_LOCKED: '顾客支付密码错误次数过多。请换一种方式付款。',
    error_INVALID_AMOUNT: '服务器拒绝了此金额，请检查后重试。',
    error_OUT_TRADE_NO_CONFLICT: '此单号属于另一笔付款。请重新收款。',
    error_TRADE_NOT_CANCELLABLE: '此付款已不能取消。请在今日交易中退款。',
    error_TRADE_NOT_REFUNDABLE: '此交易不能退款。',
    error_REFUND_EXCEEDS_PAYMENT: '超过此交易可退的金额。',
    error_NOT_FOUND: '服务器找不到此交易。',
    error_UNREACHABLE: '无法连接服务器，请检查网络后重试。',
    error_other: '出错了（{code}），请重试。',
    trades_title: '今日交易',
    totals_paid: '已付款',
    totals_gross: '收款',
    totals_refunded: '退款',
    totals_net: '净额',
    totals_waiting: '等待中',
    totals_closed: '已关闭',
    no_trades: '今天还没有交易。',
    more: '更多',
    refresh: '刷新',
    trades_unavailable: '无法加载今日交易：{message}',
    refund_button: '退款',
    refund_amount: '退款金额（{currency}）',
    refund_confirm: '确认退款',
    refunding: '正在退款…',
    refunded: '已退款 {amount}。',
    refunded_part: '已退 {amount}',
    status_SUCCESS: '已付款',
    status_USER_PAYING: '等待中',
    status_CLOSED: '已关闭',
    status_REVERSED: '已撤销',
  },
};

/** @typedef {keyof typeof STRINGS.en} StringKey */

/**
 * The language of the table that best fits the browser's languages: Chinese for any `zh`,
 * English otherwise (the wallet's rule).
 * @param {readonly string[]} languages
 * @returns {'en' | 'zh-CN'}
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

/** The language the till speaks in this browser. */
export const LANGUAGE = chooseLanguage(typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]);

/**
 * The text of `key` in the till's language, with `{name}` filled in from `values`.
 * @param {StringKey} key
 * @param {Record<string, string | number>} [values]
 * @param {'en' | 'zh-CN'} [language]
 */
export function t(key, values = {}, language = LANGUAGE) {
  const template = STRINGS[language][key] ?? STRINGS.en[key];
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? `{${name}}`));
}

/**
 * What to tell the cashier about a refusal with the API's stable `code`.
 * @param {string} code
 */
export function refusalText(code) {
  const key = `error_${code}`;
  return key in STRINGS.en ? t(/** @type {StringKey} */ (key)) : t('error_other', { code });
}

/**
 * What to tell the cashier about an amount `parseMajorUnits` refused.
 * @param {unknown} error
 * @param {string} currency
 */
export function amountRefusalText(error, currency) {
  if (!(error instanceof AmountError)) {
    throw error;
  }
  return t(`amount_${error.problem}`, { decimals: currencyDecimals(currency), limit: formatMoney(MAX_AMOUNT_MINOR, currency, LANGUAGE) });
}

/** Every key of every language, for the test that checks the tables agree. */
export const TABLES = STRINGS;
