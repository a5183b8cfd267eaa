// Every text the wallet shows, in English and Simplified Chinese, chosen by the browser's
// language. `{name}` marks a value filled in when shown.

const STRINGS = {
  en: {
    app_name: 'paycode wallet',
    nav_pay: 'Pay',
    nav_account: 'Account',
    login_title: 'Log in',
    username: 'Username',
    password: 'Password',
    login_button: 'Log in',
    setup_title: 'Set up this phone',
    setup_intro: 'Choose a PIN of 6 to 12 digits; you type it to confirm larger payments. If your account already has a PIN, enter that one.',
    pin: 'PIN',
    pin_again: 'PIN again',
    device_name: 'Name of this phone',
    device_name_default: 'My phone',
    setup_button: 'Enroll this phone',
    pins_differ: 'The two PINs differ.',
    pin_format: 'A PIN is 6 to 12 digits.',
    pay_title: 'Pay',
    pay_hint: 'Show this code to the cashier',
    code_digits: 'Payment code',
    new_code: 'New code',
    new_code_in: 'New code in {seconds} s',
    codes_used_up: 'All ten codes of this period were shown. The next one comes in {seconds} s.',
    online: 'Online',
    offline_codes: 'Server unreachable: showing offline codes.',
    clock_off: 'This phone’s clock is {seconds} s off the server’s. Codes are made at the server’s time.',
    balance: 'Balance',
    balance_unknown: 'Balance: log in to see it',
    online_code_button: 'Get an online code',
    online_code_label: 'Online code, valid until {time}',
    offline_code_label: 'Offline code',
    back_to_offline: 'Back to offline codes',
    confirm_title: 'Confirm payment',
    confirm_text: '{merchant} asks for {amount}.',
    confirm_button: 'Pay',
    decline_button: 'Decline',
    confirmed: 'Paid {amount} to {merchant}.',
    declined: 'Payment declined.',
    unknown_merchant: 'A shop',
    account_title: 'Account',
    signed_in_as: 'Logged in as {username}',
    transactions: 'Transactions',
    show_more: 'Show more',
    no_transactions: 'No transactions yet.',
    devices: 'Devices',
    revoke: 'Revoke',
    this_phone: 'this phone',
    status_revoked: 'revoked',
    status_active: 'active',
    change_pin_title: 'Change PIN',
    current_pin: 'Current PIN',
    new_pin: 'New PIN',
    change_pin_button: 'Change PIN',
    pin_changed: 'PIN changed.',
    device_revoked_done: 'Device revoked.',
    logout: 'Log out',
    error_wrong_login: 'Wrong username or password.',
    error_session_ended: 'Your session has ended. Log in again.',
    error_pin_locked: 'Too many wrong PINs. PIN entry is locked for 15 minutes.',
    error_wrong_pin: 'Wrong PIN.',
    error_device_revoked: 'This phone was removed from your account, so it cannot pay any more. Enroll it again to pay with it.',
    error_unreachable: 'Cannot reach the server. Check the connection and try again.',
    error_rate_limited: 'Too many attempts. Wait a minute and try again.',
    error_insufficient_funds: 'Not enough money in the wallet.',
    error_other: 'Something went wrong ({code}). Try again.',
    error_no_crypto: 'This browser cannot make payment codes here: open the wallet over HTTPS (or on localhost).',
    kind_payment: 'Payment',
    kind_topup: 'Top-up',
    kind_refund: 'Refund',
    kind_reversal: 'Reversal',
  },
  'zh-CN': {
    app_name: 'paycode 钱包',
    nav_pay: '付款',
    nav_account: '账户',
    login_title: '登录',
    username: '用户名',
    password: '密码',
    login_button: '登录',
    setup_title: '设置这部手机',
    setup_intro: '请设置 6 到 12 位数字的支付密码，较大金额的付款需要输入它确认。如果账户已有支付密码，请输入原密码。',
    pin: '支付密码',
    pin_again: '再次输入支付密码',
    device_name: '这部手机的名称',
    device_name_default: '我的手机',
    setup_button: '绑定这部手机',
    pins_differ: '两次输入的支付密码不一致。',
    pin_format: '支付密码为 6 到 12 位数字。',
    pay_title: '付款',
    pay_hint: '向收银员出示此付款码',
    code_digits: '付款码',
    new_code: '换一个码',
    new_code_in: '{seconds} 秒后自动更新',
    codes_used_up: '本时段的十个付款码已全部显示，{seconds} 秒后生成新码。',
    online: '在线',
    offline_codes: '无法连接服务器：正在显示离线付款码。',
    clock_off: '手机时间与服务器相差 {seconds} 秒，付款码按服务器时间生成。',
    balance: '余额',
    balance_unknown: '余额：登录后可见',
    online_code_button: '获取在线付款码',
    online_code_label: '在线付款码，{time} 前有效',
    offline_code_label: '离线付款码',
    back_to_offline: '返回离线付款码',
    confirm_title: '确认付款',
    confirm_text: '{merchant} 请求收款 {amount}。',
    confirm_button: '付款',
    decline_button: '拒绝',
    confirmed: '已向 {merchant} 付款 {amount}。',
    declined: '已拒绝付款。',
    unknown_merchant: '商户',
    account_title: '账户',
    signed_in_as: '当前用户：{username}',
    transactions: '交易记录',
    show_more: '显示更多',
    no_transactions: '暂无交易。',
    devices: '设备',
    revoke: '解除绑定',
    this_phone: '本机',
    status_revoked: '已解除',
    status_active: '正常',
    change_pin_title: '修改支付密码',
    current_pin: '当前支付密码',
    new_pin: '新支付密码',
    change_pin_button: '修改支付密码',
    pin_changed: '支付密码已修改。',
    device_revoked_done: '设备已解除绑定。',
    logout: '退出登录',
    error_wrong_login: '用户名或密码错误。',
    error_session_ended: '登录已过期，请重新登录。',
    error_pin_locked: '支付密码错误次数过多，已锁定 15 分钟。',
    error_wrong_pin: '支付密码错误。',
    error_device_revoked: '这部手机已从账户中移除，不能再付款。重新绑定后即可付款。',
    error_unreachable: '无法连接服务器，请检查网络后重试。',
    error_rate_limited: '尝试次数过多，请稍等一分钟再试。',
    error_insufficient_funds: '钱包余额不足。',
    error_other: '出错了（{code}），请重试。',
    error_no_crypto: '此浏览器无法在此生成付款码：请通过 HTTPS（或 localhost）打开钱包。',
    kind_payment: '付款',
    kind_topup: '充值',
    kind_refund: '退款',
    kind_reversal: '撤销',
  },
};

/** @typedef {keyof typeof STRINGS.en} StringKey */

/**
 * The language of the table that best fits the browser's languages: Chinese for any `zh`,
 * English otherwise.
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

/** The language the wallet speaks in this browser. */
export const LANGUAGE = chooseLanguage(typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]);

/**
 * The text of `key` in the wallet's language, with `{name}` filled in from `values`.
 * @param {StringKey} key
 * @param {Record<string, string | number>} [values]
 * @param {'en' | 'zh-CN'} [language]
 */
export function t(key, values = {}, language = LANGUAGE) {
  const template = STRINGS[language][key] ?? STRINGS.en[key];
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? `{${name}}`));
}

/** Every key of every language, for the test that checks the tables agree. */
export const TABLES = STRINGS;
