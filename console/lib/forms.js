// Form errors, the same on every form (Settings, sign-up, the team's invitation): a message
// under each field (tied to it with aria-describedby, the field marked aria-invalid), and an
// error summary at the top that takes focus and links to each field.

import { fieldErrors } from "./api.js";
import { h, icon, uid } from "./dom.js";

/**
 * @typedef {{ error: HTMLElement, input: HTMLElement | null, label: string, focus: () => void }} Field
 * @typedef {Record<string, Field>} Fields
 */

/** The error element of field `key` (give its id to the input's aria-describedby). */
export function errorSlot(key, fields, input = null, label = "") {
  const error = h("p", { class: "field-error", id: uid("error"), hidden: true });
  fields[key] = { error, input, label, focus: () => input?.focus() };
  return error;
}

/**
 * Shows `errors` ({field key or "_": message}) on their fields and in the summary, which
 * takes focus; none: both cleared. `title` heads the summary; `heading`, if given, follows it.
 */
export function showErrors(errors, fields, summary, { title, heading = null }) {
  const items = [];
  for (const [key, field] of Object.entries(fields)) {
    const message = errors[key];
    field.error.hidden = !message;
    field.error.replaceChildren(...(message ? [icon("alert", { size: 14 }), ` ${message}`] : []));
    if (field.input) {
      if (message) field.input.setAttribute("aria-invalid", "true");
      else field.input.removeAttribute("aria-invalid");
    }
    if (message) items.push([key, message, field]);
  }
  // Errors the form has no field for (or none at all) go in the summary as text.
  const loose = Object.entries(errors).filter(([key]) => !fields[key]).map(([, message]) => message);
  if (!items.length && !loose.length) {
    summary.hidden = true;
    return;
  }
  // (replaceChildren would write a null as the text "null")
  summary.replaceChildren(h("p", { class: "error-summary-title" }, title));
  if (heading) summary.append(h("p", {}, heading));
  summary.append(
    h("ul", {},
      items.map(([, message, field]) =>
        h("li", {}, h("button", { type: "button", class: "button link", onclick: () => field.focus() },
          field.label ? `${field.label}: ${message}` : message)),
      ),
      loose.filter((message) => message !== heading).map((message) => h("li", {}, message)),
    ),
  );
  summary.hidden = false;
  summary.focus();
}

/** The API's 422 details as {field: message}, in words a person reads ("Value error, " gone). */
export function apiFieldErrors(error) {
  const errors = fieldErrors(error);
  for (const [key, message] of Object.entries(errors)) {
    const text = String(message).replace(/^Value error, /, "");
    errors[key] = text.charAt(0).toUpperCase() + text.slice(1);
  }
  return errors;
}
