// Drawers and the confirmation dialog, on native <dialog> (modal: focus stays inside, the page
// behind is inert, Esc closes). Focus goes back to what opened them.

import { clear, h, icon } from "./dom.js";

/**
 * Shows `dialog` as a drawer with a header (title, close button), a body and a footer.
 * Returns {body, footer, close, closed}. onClose runs once when it closes, however it closes.
 */
export function openDrawer(dialog, { title, titleId, subtitle = null, returnFocus = null, onClose = null }) {
  if (dialog.open) dialog.close();
  const opener = returnFocus || document.activeElement;
  const body = h("div", { class: "drawer-body" });
  const footer = h("footer", { class: "drawer-footer" });
  const closeButton = h("button", { type: "button", class: "icon-button", "aria-label": "Close" }, icon("close"));
  const panel = h("div", { class: "drawer-panel" },
    h("header", { class: "drawer-header" },
      h("div", {},
        h("h2", { id: titleId, tabindex: "-1" }, title),
        subtitle ? h("p", { class: "muted drawer-subtitle" }, subtitle) : null,
      ),
      closeButton,
    ),
    body,
    footer,
  );
  clear(dialog).append(panel);

  let resolveClosed;
  const closed = new Promise((resolve) => (resolveClosed = resolve));
  const close = () => dialog.open && dialog.close();
  closeButton.addEventListener("click", close);
  // A click on the backdrop (the dialog element itself, outside the panel) closes it.
  const onBackdrop = (event) => {
    if (event.target === dialog) close();
  };
  dialog.addEventListener("click", onBackdrop);
  dialog.addEventListener("close", function handler() {
    dialog.removeEventListener("close", handler);
    dialog.removeEventListener("click", onBackdrop);
    onClose?.();
    resolveClosed();
    restoreFocus(opener);
  });
  dialog.showModal();
  return { body, footer, close, closed, panel };
}

function restoreFocus(opener) {
  if (opener && opener.isConnected && !opener.disabled) {
    opener.focus();
    return;
  }
  // The opener was redrawn (a poll re-rendered the list): find its twin by its focus key.
  const key = opener?.dataset?.focusKey;
  /** @type {HTMLElement | null} */
  const twin = key && document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (twin) twin.focus();
  else /** @type {HTMLElement | null} */ (document.querySelector("main h1"))?.focus();
}

/** A yes/no question; resolves true when confirmed. The safe choice has focus first. */
export function confirmDialog({ title, message, confirmLabel, cancelLabel = "Keep it", danger = false, extra = null }) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("confirm-dialog"));
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  const keep = h("button", { type: "button", class: "button secondary", value: "cancel" }, cancelLabel);
  const confirm = h("button", { type: "button", class: `button ${danger ? "danger" : "primary"}`, value: "confirm" }, confirmLabel);
  clear(dialog).append(
    h("h2", { id: "confirm-title" }, title),
    h("p", { id: "confirm-message" }, message),
    extra,
    h("div", { class: "dialog-actions" }, keep, confirm),
  );
  dialog.setAttribute("aria-describedby", "confirm-message");
  dialog.setAttribute("role", "alertdialog");
  return new Promise((resolve) => {
    let answer = false;
    keep.addEventListener("click", () => dialog.close());
    confirm.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener("close", function handler() {
      dialog.removeEventListener("close", handler);
      if (opener?.isConnected) opener.focus();
      resolve(answer);
    });
    dialog.showModal();
    keep.focus();
  });
}
