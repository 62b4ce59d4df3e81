// UI text in Simplified Chinese and English. Placeholders look like {name}.
export const LANGUAGES = ['zh-CN', 'en'];

const STRINGS = {
  'zh-CN': {
    appTitle: 'FunctionsChat 聊天室',
    room: '房间',
    youAre: '你是',
    changeName: '改名',
    nameLabel: '新名字',
    save: '保存',
    cancel: '取消',
    leave: '离开',
    joinAgain: '重新加入',
    'state.connecting': '连接中…',
    'state.connected': '已连接',
    'state.reconnecting': '重新连接中…',
    'state.reconnectingIn': '{seconds} 秒后重连',
    'state.offline': '离线',
    'state.left': '已离开房间',
    'state.full': '房间已满',
    'state.fullRetryIn': '房间已满，{seconds} 秒后再试',
    messages: '消息',
    empty: '还没有消息，打个招呼吧！',
    newMessages: '有新消息 ↓',
    messageLabel: '输入消息',
    placeholder: '输入消息（Enter 发送，Shift+Enter 换行）',
    send: '发送',
    tooLong: '超出 {count} 个字',
    sending: '发送中…',
    retrying: '重试中…',
    online: '在线',
    you: '（你）',
    nobodyOnline: '暂无在线成员',
    delivery: '接收方式',
    'mode.longpoll': '长轮询',
    'mode.polling': '每 3 秒轮询',
    'short.longpoll': '长轮询',
    'short.polling': '轮询',
    meter: '实时统计',
    requestsPerMinute: '每分钟请求',
    received: '收到消息',
    averageDelay: '平均延迟',
    chartTitle: '近 10 分钟每分钟请求数',
    chartOrder: '每分钟请求数，从最早的一分钟起。',
    chartSeries: '{mode}：{counts}。',
    language: '语言',
    milliseconds: '{value} 毫秒',
    'error.network': '无法连接服务器，正在重试。',
    'error.429': '发送太快了，{seconds} 秒后自动重试。',
    'error.roomFull': '房间已满，暂时无法加入。有人离开后会自动重试，也可以换一个房间。',
    'error.413': '消息太大，未发送。',
    'error.400': '未被接受：{detail}',
    'error.503': '服务器暂时不可用，正在重试。',
    'error.other': '出错了：{detail}',
    'error.badRoom': '房间名“{room}”无效（只能用小写字母、数字和连字符），已进入 lobby。',
    'error.nameTooLong': '名字最多 40 个字。',
    'error.notSent': '消息未发送：{detail}',
  },
  en: {
    appTitle: 'FunctionsChat',
    room: 'Room',
    youAre: 'You are',
    changeName: 'Change name',
    nameLabel: 'New name',
    save: 'Save',
    cancel: 'Cancel',
    leave: 'Leave',
    joinAgain: 'Join again',
    'state.connecting': 'Connecting…',
    'state.connected': 'Connected',
    'state.reconnecting': 'Reconnecting…',
    'state.reconnectingIn': 'Reconnecting in {seconds} s',
    'state.offline': 'Offline',
    'state.left': 'You left the room',
    'state.full': 'Room is full',
    'state.fullRetryIn': 'Room is full; trying again in {seconds} s',
    messages: 'Messages',
    empty: 'No messages yet. Say hello!',
    newMessages: 'New messages ↓',
    messageLabel: 'Message',
    placeholder: 'Write a message (Enter sends, Shift+Enter adds a line)',
    send: 'Send',
    tooLong: '{count} over the limit',
    sending: 'Sending…',
    retrying: 'Retrying…',
    online: 'Online',
    you: '(you)',
    nobodyOnline: 'Nobody online',
    delivery: 'Delivery',
    'mode.longpoll': 'Long polling',
    'mode.polling': 'Polling every 3 s',
    'short.longpoll': 'Long poll',
    'short.polling': 'Polling',
    meter: 'Live meter',
    requestsPerMinute: 'Requests / min',
    received: 'Messages received',
    averageDelay: 'Average delay',
    chartTitle: 'Requests per minute, last 10 minutes',
    chartOrder: 'Requests in each minute, oldest first.',
    chartSeries: '{mode}: {counts}.',
    language: 'Language',
    milliseconds: '{value} ms',
    'error.network': 'Cannot reach the server; retrying.',
    'error.429': 'Sending too fast; retrying in {seconds} s.',
    'error.roomFull': 'This room is full, so you cannot join it right now. The page tries again as people leave; or pick another room.',
    'error.413': 'That message is too large and was not sent.',
    'error.400': 'Not accepted: {detail}',
    'error.503': 'The server is unavailable for a moment; retrying.',
    'error.other': 'Something went wrong: {detail}',
    'error.badRoom': 'Room name “{room}” is not valid (lowercase letters, digits and dashes); showing lobby.',
    'error.nameTooLong': 'A name can be at most 40 characters.',
    'error.notSent': 'Message not sent: {detail}',
  },
};

/** The first supported language in the browser's preference list; any zh-* counts as zh-CN. English otherwise. */
export function pickLanguage(preferred = []) {
  for (const tag of preferred) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export function translate(lang, key, params = {}) {
  const template = STRINGS[lang]?.[key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Keys present in one language but not the other: a test keeps the two dictionaries in step. */
export function missingKeys() {
  const [first, second] = LANGUAGES.map((lang) => new Set(Object.keys(STRINGS[lang])));
  return [...first].filter((k) => !second.has(k)).concat([...second].filter((k) => !first.has(k)));
}
