// Small DOM helpers shared by the views.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);

/// A short message that fades away on its own (server errors, confirmations): never alert().
export function toast(text, kind = 'error', ms = 4500) {
  toast.history.push(`${kind}: ${text}`); // kept for tests and bug reports
  const box = $('#toasts');
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  item.dataset.testid = `toast-${kind}`;
  item.textContent = text;
  box.appendChild(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => {
    item.classList.add('toast-out');
    setTimeout(() => item.remove(), 300);
  }, ms);
}

toast.history = [];

/// A yes/no question in a modal dialog (instead of the blocking confirm()).
export function ask(title, text, yes = 'Yes', danger = true) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.className = 'dialog confirm-dialog';
    dialog.dataset.testid = 'confirm-dialog';
    dialog.innerHTML = `<form method="dialog">
      <h2>${esc(title)}</h2><p>${esc(text)}</p>
      <div class="row end">
        <button class="btn btn-ghost" value="no" data-testid="confirm-no">Cancel</button>
        <button class="btn ${danger ? 'btn-danger' : 'btn-primary'}" value="yes" data-testid="confirm-yes">${esc(yes)}</button>
      </div></form>`;
    document.body.appendChild(dialog);
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    dialog.showModal();
  });
}

/// Re-renders a container's HTML and puts the keyboard focus back on the element that had it
/// (matched by data-testid), so a state update never throws a keyboard user out.
export function setHTML(element, html) {
  if (element.__html === html) return;
  const focused = document.activeElement;
  const key = focused && element.contains(focused) ? focused.dataset.testid : null;
  element.innerHTML = html;
  element.__html = html;
  if (key) {
    const again = element.querySelector(`[data-testid="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}
