// Tiny DOM helpers. Every piece of data goes in as text (never innerHTML), so nothing a
// customer or dispatcher typed can become markup.

/**
 * h("button", {class: "button", onclick: fn, "aria-label": "Close"}, "×")
 * Props: class, text, hidden, disabled…; "on*" functions become listeners; data-* and aria-*
 * and anything else become attributes. Children: nodes, strings, arrays; null/false skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "text") {
      element.textContent = value;
    } else if (key in element && !key.includes("-") && typeof value !== "string") {
      element[key] = value; // booleans and numbers such as hidden, disabled, value, checked
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

let uniqueCounter = 0;
/** A document-unique id for label/aria-describedby pairs. */
export function uid(prefix = "id") {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/** Runs fn once the caller stops calling for `wait` ms (search as you type, counters). */
export function debounce(fn, wait) {
  let timer;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** A status chip: the label the API gives, coloured by status. */
export function statusChip(status, label) {
  return h("span", { class: `chip status-${status}` }, label);
}

/** A short-lived message at the bottom of the screen (announced politely). */
export function toast(message, { tone = "info", action = null, timeout = 6000 } = {}) {
  const region = document.getElementById("toasts");
  // A modal dialog makes the rest of the page inert: show the toast inside the top one.
  const dialogs = document.querySelectorAll("dialog[open]");
  const host = dialogs.length ? dialogs[dialogs.length - 1] : document.body;
  if (region.parentElement !== host) host.append(region);
  const item = h(
    "div",
    { class: `toast ${tone}` },
    h("span", {}, message),
    action
      ? h("button", {
          type: "button",
          class: "button link",
          onclick: () => {
            item.remove();
            action.run();
          },
        }, action.label)
      : null,
    h("button", {
      type: "button",
      class: "toast-close",
      "aria-label": "Dismiss",
      onclick: () => item.remove(),
    }, "×"),
  );
  region.append(item);
  setTimeout(() => item.remove(), timeout);
}

/** Inline SVG icons (no icon font, no third-party request). */
const ICONS = {
  search: "M10.5 3a7.5 7.5 0 0 1 5.9 12.13l4.24 4.23-1.42 1.42-4.23-4.24A7.5 7.5 0 1 1 10.5 3Zm0 2a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11Z",
  close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4Z",
  lock: "M12 2a5 5 0 0 1 5 5v3h1a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h1V7a5 5 0 0 1 5-5Zm0 2a3 3 0 0 0-3 3v3h6V7a3 3 0 0 0-3-3Z",
  copy: "M8 3h10a2 2 0 0 1 2 2v12h-2V5H8Zm-3 4h10a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2Zm0 2v11h10V9Z",
  send: "M3 20.5 21 12 3 3.5V10l12 2-12 2Z",
  phone: "M6.6 10.8a15.2 15.2 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1Z",
  refresh: "M17.65 6.35A8 8 0 1 0 20 12h-2a6 6 0 1 1-1.76-4.24L13 11h7V4Z",
  clock: "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20Zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16Zm1 3v4.6l3.2 3.2-1.4 1.4-3.8-3.8V7Z",
  user: "M12 12a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9Zm0 2c4.4 0 8 2.2 8 5v2H4v-2c0-2.8 3.6-5 8-5Z",
  wrench: "M21.7 18.3 13.4 10a5.5 5.5 0 0 0-7.1-7.1l3.4 3.4-2.4 2.4-3.4-3.4A5.5 5.5 0 0 0 11 12.4l8.3 8.3a1 1 0 0 0 1.4 0l1-1a1 1 0 0 0 0-1.4Z",
  calendar: "M7 2h2v2h6V2h2v2h2a2 2 0 0 1 2 2v13a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h2Zm12 8H5v9h14Z",
  check: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4Z",
  alert: "M12 2 1 21h22Zm-1 7h2v6h-2Zm0 8h2v2h-2Z",
};

export function icon(name, { label = null, size = 18 } = {}) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("class", "icon");
  svg.setAttribute("fill", "currentColor");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

// A term and its value in a <dl> of facts (the drawers' details).
export function fact(term, value) {
  return h("div", { class: "fact" }, h("dt", {}, term), h("dd", {}, value));
}

// A message element shown with its text, or hidden and emptied.
export function show(element, message) {
  element.textContent = message;
  element.hidden = false;
}

export function hide(element) {
  element.hidden = true;
  element.textContent = "";
}
