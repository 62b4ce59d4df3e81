// The error line under the banner: shows one message at a time and hides it after a while.
export function createErrorLine(node, visibleMs) {
  let timer = null;
  return {
    show(text) {
      node.textContent = text;
      node.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(() => {
        node.hidden = true;
      }, visibleMs);
    },
  };
}
