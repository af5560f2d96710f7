// Review & send: the SMS as the customer will get it (the business's template, editable), the
// link appended and out of reach, a live character and segment count, then "Send request".

import { openDrawer } from "../lib/dialogs.js";
import { debounce, fact, h, hide, icon, show, toast } from "../lib/dom.js";
import { formatDateTime, formatDay, formatPhone, formatRange, formatZone } from "../lib/format.js";
import { measure, nonGsmCharacters, withLink } from "../lib/sms.js";
import { refreshInProgress, refreshSuggestions, store } from "../lib/store.js";
import { openSession } from "./timeline.js";

const LANGUAGE_NAMES = { en: "English", es: "Español" };
const PREVIEW_DELAY_MS = 500;
const MAX_MESSAGE = 1000;

/** Languages the business has a template for (English always works: it is the default). */
function languages() {
  const templates = store.settings?.templates || {};
  const available = Object.keys(LANGUAGE_NAMES).filter((code) => (templates[code] || "").trim());
  return available.length ? available : ["en"];
}

export function openReview(customer, appointment, trigger) {
  const dialog = document.getElementById("review-drawer");
  const state = {
    language: "en",
    channels: new Set(["sms"]),
    template: "", // the rendered template, to tell an edited message from the default
    link: "", // link_placeholder: as long as the real link, which does not exist yet
    serverCount: null, // the preview's count, while the text has {placeholders} only it can fill
    sending: false,
  };
  // One controller per kind of preview: a live count must never cancel a template load.
  const controllers = { template: null, count: null };

  const drawer = openDrawer(dialog, {
    title: "Review & send",
    titleId: "review-title",
    subtitle: `${customer.name} · ${appointment.service}`,
    returnFocus: trigger,
    onClose: () => {
      controllers.template?.abort();
      controllers.count?.abort();
      previewSoon.cancel();
    },
  });

  // --- the appointment --------------------------------------------------------------------
  const facts = h("dl", { class: "facts" },
    fact("Customer", h("span", {}, customer.name, h("span", { class: "muted" }, ` · ${formatPhone(customer.phone)}`))),
    fact("Service", appointment.service),
    fact("Current time", `${formatDay(appointment.start)} · ${formatRange(appointment.start, appointment.end)} ${formatZone(appointment.start)}`),
    fact("Technician", appointment.technician.name),
  );

  // --- language -----------------------------------------------------------------------------
  const choices = languages();
  const languagePicker = choices.length > 1
    ? h("fieldset", { class: "segmented" },
        h("legend", {}, "Language"),
        choices.map((code) =>
          h("label", {},
            h("input", {
              type: "radio",
              name: "review-language",
              value: code,
              checked: code === state.language,
              onchange: () => changeLanguage(code),
            }),
            h("span", {}, LANGUAGE_NAMES[code]),
          ),
        ),
      )
    : null;

  // --- channels -----------------------------------------------------------------------------
  // Text, email or both; email only when the customer has an address.
  const channelBox = (value, label, detail, disabled = false) =>
    h("label", { class: "channel-choice" },
      h("input", {
        type: "checkbox",
        name: "review-channel",
        value,
        checked: state.channels.has(value),
        disabled,
        onchange: (event) => {
          if (event.target.checked) state.channels.add(value);
          else state.channels.delete(value);
          hide(error);
        },
      }),
      h("span", {}, label, h("span", { class: "muted" }, ` · ${detail}`)),
    );
  const channelPicker = h("fieldset", { class: "channels" },
    h("legend", {}, "Send by"),
    channelBox("sms", "Text", formatPhone(customer.phone)),
    customer.email
      ? channelBox("email", "Email", customer.email)
      : channelBox("email", "Email", "no email address on file", true),
  );

  // --- the message --------------------------------------------------------------------------
  const textarea = h("textarea", {
    id: "review-message",
    name: "message",
    rows: 6,
    maxlength: MAX_MESSAGE,
    readOnly: true,
    "aria-busy": "true",
    placeholder: "Loading the business's message…",
    "aria-describedby": "review-link review-count",
  });
  const linkText = h("span", { class: "composer-link-url" }, "");
  const linkRow = h("p", { class: "composer-link", id: "review-link" },
    icon("lock", { size: 14 }),
    linkText,
    h("span", { class: "composer-link-note" }, "Link added when sent · can't be removed"),
  );
  const counter = h("p", { class: "counter", id: "review-count" });
  const segmentsAnnouncer = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const encodingNote = h("p", { class: "hint encoding-note", hidden: true });
  const reset = h("button", { type: "button", class: "button link small", hidden: true, onclick: () => resetToTemplate() }, "Reset to template");
  const error = h("div", { class: "notice error", role: "alert", hidden: true });

  drawer.body.append(
    facts,
    channelPicker,
    languagePicker,
    h("div", { class: "field" },
      h("div", { class: "label-row" }, h("label", { for: "review-message" }, "Message"), reset),
      h("div", { class: "composer" }, textarea, linkRow),
      counter,
      encodingNote,
      segmentsAnnouncer,
    ),
    error,
  );

  const cancel = h("button", { type: "button", class: "button secondary", onclick: () => drawer.close() }, "Cancel");
  const send = h("button", { type: "button", class: "button primary", onclick: () => submit() },
    icon("send", { size: 16 }), h("span", {}, "Send request"));
  drawer.footer.append(cancel, send);
  textarea.focus();

  // --- counting ---------------------------------------------------------------------------
  let lastAnnounced = "";
  function updateCount() {
    const text = textarea.value;
    const local = measure(withLink(text, state.link));
    const counts = text.includes("{") && state.serverCount ? state.serverCount : local;
    const segments = counts.segments === 1 ? "1 SMS segment" : `${counts.segments} SMS segments`;
    counter.replaceChildren(
      h("span", { class: "counter-item" }, `${counts.characters} characters`),
      h("span", { class: `counter-item ${counts.segments > 1 ? "warn" : ""}` }, segments),
      h("span", { class: `counter-item encoding ${counts.encoding === "UCS-2" ? "warn" : ""}` }, counts.encoding),
    );
    const odd = nonGsmCharacters(text);
    encodingNote.hidden = counts.encoding !== "UCS-2";
    if (!encodingNote.hidden) {
      encodingNote.textContent = odd.length
        ? `${odd.map((c) => (c.trim() ? c : "a special space")).slice(0, 6).join(" ")} ${odd.length === 1 ? "isn't" : "aren't"} in the GSM-7 alphabet, so each segment holds 70 characters instead of 160.`
        : "This text needs UCS-2, so each segment holds 70 characters instead of 160.";
    }
    const announcement = `${segments}, ${counts.encoding}`;
    if (announcement !== lastAnnounced) {
      if (lastAnnounced) segmentsAnnouncer.textContent = announcement;
      lastAnnounced = announcement;
    }
    reset.hidden = !state.template || text === state.template;
  }

  // --- the preview endpoint ---------------------------------------------------------------
  async function preview(kind, message) {
    controllers[kind]?.abort();
    const controller = new AbortController();
    controllers[kind] = controller;
    const body = { appointment_id: appointment.id, language: state.language };
    if (message !== undefined) body.message = message;
    return store.api.post("/api/messages/preview", body, { signal: controller.signal });
  }

  async function loadTemplate() {
    // A count still pending is for the text being replaced: drop it.
    previewSoon.cancel();
    controllers.count?.abort();
    textarea.readOnly = true;
    textarea.setAttribute("aria-busy", "true");
    try {
      const result = await preview("template");
      state.template = result.text;
      state.link = result.link_placeholder;
      state.serverCount = null;
      textarea.value = result.text;
      linkText.textContent = result.link_placeholder;
      linkRow.title = "The customer's private link is added here when the text is sent.";
      hide(error);
    } catch (failure) {
      if (failure.name === "AbortError") return;
      state.template = "";
      linkText.textContent = "The customer's private link is added at the end.";
      textarea.placeholder = "Write the message. The link is added at the end.";
      show(error, `The message preview isn't available: ${failure.message}`);
    } finally {
      textarea.readOnly = false;
      textarea.removeAttribute("aria-busy");
      textarea.placeholder = textarea.placeholder.startsWith("Loading") ? "" : textarea.placeholder;
      updateCount();
    }
  }

  // Placeholders ({customer_first_name}…) are filled by the API: ask it for the real count.
  const previewSoon = debounce(async () => {
    if (!textarea.value.includes("{")) return;
    try {
      const result = await preview("count", textarea.value);
      state.serverCount = result;
      updateCount();
    } catch {
      // The local count stays; the API has the last word when sending.
    }
  }, PREVIEW_DELAY_MS);

  textarea.addEventListener("input", () => {
    state.serverCount = null;
    updateCount();
    previewSoon();
  });

  function changeLanguage(code) {
    state.language = code;
    loadTemplate();
  }

  function resetToTemplate() {
    textarea.value = state.template;
    state.serverCount = null;
    updateCount();
    textarea.focus();
  }

  // --- sending ----------------------------------------------------------------------------
  async function submit({ whenAllowed = false } = {}) {
    if (state.sending) return;
    const text = textarea.value.trim();
    if (!text && !state.template) {
      show(error, "Write a message for the customer.");
      textarea.focus();
      return;
    }
    if (!text) {
      show(error, "The message is empty. Write one, or reset to the template.");
      textarea.focus();
      return;
    }
    if (!state.channels.size) {
      show(error, "Choose how to send the link: text, email, or both.");
      channelPicker.querySelector("input:not([disabled])")?.focus();
      return;
    }
    state.sending = true;
    hide(error);
    send.disabled = true;
    cancel.disabled = true;
    textarea.readOnly = true;
    send.classList.add("is-busy");
    send.lastElementChild.textContent = "Sending…";
    send.setAttribute("aria-busy", "true");
    const body = {
      appointment_id: appointment.id,
      language: state.language,
      channels: ["sms", "email"].filter((c) => state.channels.has(c)),
    };
    if (whenAllowed) body.send_when_allowed = true;
    // Only an edited text is sent: otherwise the API renders the template itself.
    if (textarea.value !== state.template) body.message = textarea.value;
    try {
      const created = await store.api.post("/api/sessions", body);
      drawer.close();
      const problems = created.problems?.length ? ` ${created.problems.join(" ")}` : "";
      const what = created.scheduled_for
        ? `Link to ${customer.name} scheduled for ${formatDateTime(created.scheduled_for)}, when their quiet hours end.`
        : `Link sent to ${customer.name}. It expires ${formatDateTime(created.expires_at)}.`;
      toast(`${what}${problems}`, {
        tone: problems ? "warning" : "success",
        action: { label: "View timeline", run: () => openSession(created.id) },
      });
      refreshInProgress().catch(() => {});
      refreshSuggestions().catch(() => {}); // a link sent answers the appointment's suggestion
    } catch (failure) {
      const sessionId = failure.body?.session_id;
      const details = (failure.detail || []).map((d) => d.msg).filter(Boolean);
      show(error, failure.message + (details.length && !failure.message.includes(details[0]) ? ` ${details.join(" ")}` : ""));
      const nextAllowed = failure.body?.next_allowed_at;
      if (nextAllowed) {
        error.append(
          " ",
          h("button", { type: "button", class: "button link", onclick: () => submit({ whenAllowed: true }) },
            `Send it ${formatDateTime(nextAllowed)} instead`),
        );
      }
      if (sessionId) {
        error.append(
          " ",
          h("button", { type: "button", class: "button link", onclick: () => { drawer.close(); openSession(sessionId); } },
            "Open the session in progress"),
        );
      }
      state.sending = false;
      send.disabled = false;
      cancel.disabled = false;
      textarea.readOnly = false;
      send.classList.remove("is-busy");
      send.lastElementChild.textContent = "Send request";
      send.removeAttribute("aria-busy");
    }
  }

  loadTemplate();
}
