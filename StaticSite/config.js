// Where the chat API lives. Same origin by default; a deploy that hosts the page elsewhere rewrites this line
// (and widens connect-src in index.html's Content-Security-Policy to match).
export const apiBase = '/api';
