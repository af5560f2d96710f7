// Settings: the scheduling provider's connection, every rule customers' openings follow, link
// expiry, quiet hours, staff notifications, and the SMS templates. Checked here for quick feedback; the API checks again and its
// 422 details land on the fields.

import { fieldErrors } from "../lib/api.js";
import { clear, h, icon, toast } from "../lib/dom.js";
import { formatClockSeconds, nowMs } from "../lib/format.js";
import { errorSlot, showErrors } from "../lib/forms.js";
import { isAdmin, store } from "../lib/store.js";

const DRIVE_CHOICES = [15, 30, 45, 60];
const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "es", name: "Spanish (Español)" },
];
const PLACEHOLDERS = [
  ["customer_first_name", "Customer's first name"],
  ["business_name", "Business name"],
  ["service", "Service"],
  ["appointment_time", "Appointment time"],
  ["technician_name", "Technician"],
];
const TRIGGER_CHOICES = [
  ["suggest", "Suggest it to a dispatcher (the Suggested tab)"],
  ["send", "Send the customer a link automatically"],
];
// Each number a business sets: the API's range (api/models.py SettingsBody), its unit.
const NUMBERS = {
  link_ttl_hours: { min: 1, max: 72, step: 1, unit: "hours", label: "Link expires after" },
  min_notice_hours: { min: 0, max: 168, step: 1, unit: "hours", label: "Minimum notice" },
  slot_minutes: { min: 5, max: 240, step: 5, unit: "minutes", label: "Openings start every" },
  buffer_minutes: { min: 0, max: 120, step: 1, unit: "minutes", label: "Free time next to other jobs" },
  horizon_days: { min: 1, max: 60, step: 1, unit: "days", label: "Openings up to" },
  max_openings: { min: 1, max: 50, step: 1, unit: "openings", label: "Openings shown" },
  drive_speed_kmh: { min: 5, max: 150, step: 1, unit: "km/h", label: "Average driving speed" },
  drive_detour_factor: { min: 1, max: 3, step: 0.01, unit: "×", label: "Roads vs. straight line" },
};
const SLACK_EVENTS = [
  ["completed", "Completed reschedules"],
  ["failed", "Failed reschedules"],
];
// US law (the TCPA) lets texts reach consumers from 8 am to 9 pm their time: quiet hours
// cover at least the rest (domain/business.py quiet_hours_problem says the same).
const LAWFUL_FROM = "08:00";
const LAWFUL_UNTIL = "21:00";
const NOT_SAVED = "The settings weren't saved.";

export function render(view) {
  view.append(
    h("header", { class: "page-header" },
      h("div", {},
        h("h1", { tabindex: "-1" }, "Settings"),
        h("p", { class: "muted" }, "Your scheduling provider, what customers may pick, how long links work, and what the text says."),
      ),
    ),
  );
  // Just signed up (views/signup.js): say what is next, once.
  if (store.welcome) {
    const welcome = welcomeNotice(store.welcome);
    store.welcome = null;
    view.append(welcome);
    welcome.focus();
  }
  // Only an admin changes the business (the API answers 403 to anyone else): the others read.
  if (!isAdmin()) {
    view.append(h("p", { class: "notice info", id: "settings-read-only" },
      "Only an admin can change settings. You can read them here; ask an admin of your business to change them."));
  }
  const controller = new AbortController();
  // Its own request: a slow or failing provider never holds up the form below.
  view.append(providerCard(controller.signal));
  const holder = h("div", {}, h("p", { class: "loading" }, "Loading settings…"));
  view.append(holder);

  store.api
    .get("/api/settings", { signal: controller.signal })
    .then((settings) => {
      store.settings = settings;
      clear(holder).append(form(settings));
    })
    .catch((failure) => {
      if (controller.signal.aborted) return;
      clear(holder).append(h("div", { class: "notice error", role: "alert" }, `Settings couldn't be loaded: ${failure.message}`));
    });
  return () => controller.abort();
}

function welcomeNotice(businessName) {
  return h("section", { class: "notice success welcome", tabindex: "-1", "aria-labelledby": "welcome-title" },
    h("h2", { id: "welcome-title" }, `Welcome: ${businessName} is ready, and you're its admin`),
    h("p", {},
      "Its rules start at the usual defaults. Check them below and save, then invite your dispatchers on the ",
      h("a", { href: "#/team" }, "Team"),
      " tab.",
    ),
  );
}

/** The business's scheduling provider and whether it answers now, with "Check again". */
function providerCard(signal) {
  const name = h("p", { class: "provider-name" }, "Scheduling provider");
  const state = h("p", { class: "provider-state" }, h("span", { class: "muted" }, "Checking the connection…"));
  const check = h("button", { type: "button", class: "button secondary small" },
    icon("refresh", { size: 14 }), h("span", {}, "Check again"));
  const card = h("section", { class: "card settings-section provider-card", "aria-labelledby": "provider-title", "aria-busy": "true" },
    h("div", { class: "provider-header" },
      h("div", {},
        h("h2", { id: "provider-title" }, "Scheduling provider"),
        name,
      ),
      check,
    ),
    // Announced when a check ends, so "Check again" has an audible answer.
    h("div", { role: "status" }, state),
  );

  async function load() {
    card.setAttribute("aria-busy", "true");
    check.setAttribute("aria-busy", "true");
    check.classList.add("is-busy");
    check.lastElementChild.textContent = "Checking…";
    try {
      const provider = await store.api.get("/api/provider", { signal });
      name.textContent = provider.name;
      state.replaceChildren(...providerState(provider), checkedAt());
    } catch (failure) {
      if (signal.aborted) return;
      state.replaceChildren(h("span", { class: "chip provider-unavailable" }, "Not checked"),
        h("span", { class: "provider-detail" }, `The connection couldn't be checked: ${failure.message}`), checkedAt());
    } finally {
      card.removeAttribute("aria-busy");
      check.removeAttribute("aria-busy");
      check.classList.remove("is-busy");
      check.lastElementChild.textContent = "Check again";
    }
  }
  check.addEventListener("click", () => {
    if (check.getAttribute("aria-busy") !== "true") load();
  });
  load();
  return card;
}

// A new time on every check, so a screen reader hears "Check again" answer even when nothing changed.
const checkedAt = () => h("span", { class: "muted provider-checked" }, `Checked ${formatClockSeconds(new Date(nowMs()))}`);

function providerState({ state, technicians, detail }) {
  if (state === "connected") {
    const count = technicians === 1 ? "1 technician" : `${technicians} technicians`;
    return [h("span", { class: "chip provider-connected" }, `Connected · ${count}`)];
  }
  if (state === "unauthorized") {
    return [
      h("span", { class: "chip provider-unauthorized" }, "Credentials refused: reconnect"),
      detail ? h("span", { class: "provider-detail" }, detail) : null,
    ].filter(Boolean);
  }
  return [h("span", { class: "chip provider-unavailable" }, detail ? `Not reachable: ${detail}` : "Not reachable")];
}

function form(settings) {
  const fields = {}; // key -> {input(s), error element, focus target}
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
  const status = h("p", { class: "save-status", role: "status" });

  // --- openings -----------------------------------------------------------------------------
  const driveError = errorSlot("max_drive_minutes", fields, null, "Maximum drive time");
  const drive = h("fieldset", { class: "segmented", "aria-describedby": `drive-hint ${driveError.id}` },
    h("legend", {}, "Maximum drive time"),
    DRIVE_CHOICES.map((minutes) =>
      h("label", {},
        h("input", { type: "radio", name: "max_drive_minutes", value: String(minutes), checked: settings.max_drive_minutes === minutes }),
        h("span", {}, `${minutes} min`),
      ),
    ),
  );
  fields.max_drive_minutes.focus = () => drive.querySelector("input:checked, input")?.focus();

  const techChange = h("input", { type: "checkbox", id: "allow-technician-change", name: "allow_technician_change", checked: Boolean(settings.allow_technician_change), "aria-describedby": "tech-hint" });
  errorSlot("allow_technician_change", fields, techChange, "Allow technician change");

  const openingsSection = h("section", { class: "card settings-section", "aria-labelledby": "openings-title" },
    h("h2", { id: "openings-title" }, "Openings customers see"),
    h("div", { class: "field" },
      drive,
      h("p", { class: "hint", id: "drive-hint" }, "The longest drive a technician may have before or after the new time."),
      driveError,
    ),
    h("div", { class: "field checkbox-field" },
      techChange,
      h("div", {},
        h("label", { for: "allow-technician-change" }, "Allow technician change"),
        h("p", { class: "hint", id: "tech-hint" }, "Customers may pick a time with another technician, not only their own."),
        fields.allow_technician_change.error,
      ),
    ),
  );

  // --- links ------------------------------------------------------------------------------
  const numberField = (key, hint) => {
    const spec = NUMBERS[key];
    const id = `setting-${key.replace(/_/g, "-")}`;
    const input = h("input", {
      id, name: key, type: "number", inputmode: spec.step < 1 ? "decimal" : "numeric",
      min: spec.min, max: spec.max, step: spec.step,
      required: true, value: String(settings[key] ?? ""), class: "number-input",
    });
    const error = errorSlot(key, fields, input, spec.label);
    const hintId = `${id}-hint`;
    input.setAttribute("aria-describedby", `${hintId} ${error.id}`);
    return h("div", { class: "field" },
      h("label", { for: id }, spec.label),
      h("div", { class: "input-suffix" }, input, h("span", { "aria-hidden": "true" }, spec.unit)),
      h("p", { class: "hint", id: hintId }, `${hint} ${spec.min}–${spec.max} ${spec.unit}.`),
      error,
    );
  };
  const linksSection = h("section", { class: "card settings-section", "aria-labelledby": "links-title" },
    h("h2", { id: "links-title" }, "Links"),
    h("div", { class: "grid-2" },
      numberField("link_ttl_hours", "A link stops working this long after it is sent."),
      numberField("min_notice_hours", "Links close this long before the appointment starts, and customers can't pick a time sooner than this."),
    ),
  );

  const searchSection = h("section", { class: "card settings-section", "aria-labelledby": "search-title" },
    h("h2", { id: "search-title" }, "How openings are found"),
    h("div", { class: "grid-2" },
      numberField("slot_minutes", "Openings start on this grid from the start of a technician's hours."),
      numberField("buffer_minutes", "Kept free before and after other jobs."),
      numberField("horizon_days", "How far ahead customers may move to."),
      numberField("max_openings", "The best ones, ranked by added driving and distance from the original day."),
      numberField("drive_speed_kmh", "Drive times without a route service: distance at this speed."),
      numberField("drive_detour_factor", "How much longer roads are than a straight line."),
    ),
  );

  // --- quiet hours and who may be texted ------------------------------------------------------
  const quietOn = h("input", { type: "checkbox", id: "quiet-hours-on", name: "quiet_hours_on", checked: Boolean(settings.quiet_hours_start), "aria-describedby": "quiet-hint" });
  const quietStart = h("input", { type: "time", id: "quiet-hours-start", name: "quiet_hours_start", value: (settings.quiet_hours_start || "21:00").slice(0, 5), class: "time-input" });
  const quietEnd = h("input", { type: "time", id: "quiet-hours-end", name: "quiet_hours_end", value: (settings.quiet_hours_end || "08:00").slice(0, 5), class: "time-input" });
  const quietStartError = errorSlot("quiet_hours_start", fields, quietStart, "Quiet hours start");
  const quietEndError = errorSlot("quiet_hours_end", fields, quietEnd, "Quiet hours end");
  quietStart.setAttribute("aria-describedby", `quiet-hint ${quietStartError.id}`);
  quietEnd.setAttribute("aria-describedby", `quiet-hint ${quietEndError.id}`);
  const quietTimes = h("div", { class: "grid-2" },
    h("div", { class: "field" }, h("label", { for: "quiet-hours-start" }, "No texts from"), quietStart, quietStartError),
    h("div", { class: "field" }, h("label", { for: "quiet-hours-end" }, "Until the next morning at"), quietEnd, quietEndError),
  );
  const showQuietTimes = () => {
    quietTimes.hidden = !quietOn.checked;
  };
  quietOn.addEventListener("change", showQuietTimes);
  showQuietTimes();
  const abroad = h("input", { type: "checkbox", id: "text-other-countries", name: "text_other_countries", checked: Boolean(settings.text_other_countries), "aria-describedby": "abroad-hint" });
  errorSlot("text_other_countries", fields, abroad, "Text numbers in other countries");
  const messagesSection = h("section", { class: "card settings-section", "aria-labelledby": "texts-title" },
    h("h2", { id: "texts-title" }, "When and where texts go"),
    h("div", { class: "field checkbox-field" },
      quietOn,
      h("div", {},
        h("label", { for: "quiet-hours-on" }, "Quiet hours"),
        h("p", { class: "hint", id: "quiet-hint" },
          "No texts in these hours of the customer's time zone; a link asked for then goes when they end. US law (the TCPA) lets texts reach consumers only from 8 am to 9 pm their time, so quiet hours cover at least 9 pm to 8 am; they may be longer."),
      ),
    ),
    quietTimes,
    h("div", { class: "field checkbox-field" },
      abroad,
      h("div", {},
        h("label", { for: "text-other-countries" }, "Text numbers in other countries"),
        h("p", { class: "hint", id: "abroad-hint" }, "A number a dispatcher types for an invitation may be outside your country (carriers bill international texts more)."),
        fields.text_other_countries.error,
      ),
    ),
  );

  // --- staff notifications ----------------------------------------------------------------------
  const slackChannel = h("input", { type: "text", id: "slack-channel", name: "slack_channel", value: settings.slack_channel || "", placeholder: "#dispatch", maxlength: 81, autocomplete: "off", spellcheck: "false" });
  const slackError = errorSlot("slack_channel", fields, slackChannel, "Slack channel");
  slackChannel.setAttribute("aria-describedby", `slack-hint ${slackError.id}`);
  const slackEventsError = errorSlot("slack_events", fields, null, "What staff hear about");
  const slackEvents = h("fieldset", { class: "choices", "aria-describedby": slackEventsError.id },
    h("legend", {}, "What staff hear about"),
    SLACK_EVENTS.map(([value, label]) =>
      h("label", { class: "choice" },
        h("input", { type: "checkbox", name: "slack_events", value, checked: (settings.slack_events || []).includes(value) }),
        h("span", {}, label),
      ),
    ),
  );
  fields.slack_events.focus = () => slackEvents.querySelector("input")?.focus();
  const slackSection = h("section", { class: "card settings-section", "aria-labelledby": "slack-title" },
    h("h2", { id: "slack-title" }, "Staff notifications"),
    h("div", { class: "field" },
      h("label", { for: "slack-channel" }, "Slack channel"),
      slackChannel,
      h("p", { class: "hint", id: "slack-hint" }, "A channel id or #name the app is in; empty: no notifications."),
      slackError,
    ),
    h("div", { class: "field" }, slackEvents, slackEventsError),
  );

  // --- scheduling provider's reasons to reschedule --------------------------------------------
  const triggersError = errorSlot("provider_triggers", fields, null, "When the provider reports a reason to reschedule");
  const triggers = h("fieldset", { class: "choices", "aria-describedby": `triggers-hint ${triggersError.id}` },
    h("legend", {}, "When the scheduling provider reports a reason to reschedule"),
    TRIGGER_CHOICES.map(([value, label]) =>
      h("label", { class: "choice" },
        h("input", { type: "radio", name: "provider_triggers", value, checked: (settings.provider_triggers || "suggest") === value }),
        h("span", {}, label),
      ),
    ),
  );
  fields.provider_triggers.focus = () => triggers.querySelector("input:checked, input")?.focus();
  const triggersSection = h("section", { class: "card settings-section", "aria-labelledby": "triggers-title" },
    h("h2", { id: "triggers-title" }, "Suggested reschedules"),
    h("div", { class: "field" },
      triggers,
      h("p", { class: "hint", id: "triggers-hint" }, "A customer canceled, a technician reported a no-show or no access, or the job was marked for rescheduling. Sent automatically, the link goes out by text (after quiet hours if need be); one that can't go waits in Suggested with the reason."),
      triggersError,
    ),
  );

  // --- templates --------------------------------------------------------------------------
  const templates = LANGUAGES.map(({ code, name }) => {
    const id = `template-${code}`;
    const textarea = h("textarea", { id, name: `templates.${code}`, rows: 4, maxlength: 1000 });
    textarea.value = settings.templates?.[code] || "";
    const error = errorSlot(`templates.${code}`, fields, textarea, `${name} message`);
    textarea.setAttribute("aria-describedby", `templates-hint ${error.id}`);
    const insert = PLACEHOLDERS.map(([key, label]) =>
      h("button", {
        type: "button",
        class: "token",
        title: `Insert ${label}`,
        "aria-label": `Insert {${key}}: ${label}`,
        onclick: () => insertAtCursor(textarea, `{${key}}`),
      }, `{${key}}`),
    );
    return h("div", { class: "field" },
      h("label", { for: id }, `${name} message`),
      textarea,
      h("div", { class: "tokens", role: "group", "aria-label": `Placeholders for the ${name} message` }, insert),
      error,
    );
  });
  const templatesSection = h("section", { class: "card settings-section", "aria-labelledby": "templates-title" },
    h("h2", { id: "templates-title" }, "Message templates"),
    h("p", { class: "hint", id: "templates-hint" },
      "The text dispatchers start from, per language. Placeholders are filled in for each customer, and the private link is always added at the end. Leave Spanish empty to offer English only.",
    ),
    templates,
  );

  // --- saving -------------------------------------------------------------------------------
  const save = h("button", { type: "submit", class: "button primary" }, icon("check", { size: 16 }), h("span", {}, "Save settings"));
  const element = h("form", { class: "settings", novalidate: true },
    summary,
    openingsSection,
    linksSection,
    searchSection,
    messagesSection,
    slackSection,
    triggersSection,
    templatesSection,
    h("div", { class: "form-actions" }, save, status),
  );
  element.addEventListener("input", () => (status.textContent = ""));
  if (!isAdmin()) {
    // Read-only: every control disabled, no Save; the notice above says why.
    for (const control of element.elements) /** @type {HTMLInputElement} */ (control).disabled = true;
    element.setAttribute("aria-describedby", "settings-read-only");
    save.parentElement.hidden = true;
  }

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { body, errors } = read(element);
    showErrors(errors, fields, summary, { title: NOT_SAVED });
    if (Object.keys(errors).length) return;
    save.disabled = true;
    save.lastChild.textContent = "Saving…";
    status.textContent = "";
    try {
      const saved = await store.api.put("/api/settings", body);
      store.settings = saved;
      showErrors({}, fields, summary, { title: NOT_SAVED });
      status.replaceChildren(icon("check", { size: 16 }), " Saved");
      toast("Settings saved.", { tone: "success", timeout: 3000 });
    } catch (failure) {
      const serverErrors = failure.status === 422 ? fieldErrors(failure) : {};
      if (!Object.keys(serverErrors).length) serverErrors._ = failure.message;
      showErrors(serverErrors, fields, summary, { title: NOT_SAVED, heading: failure.message });
    } finally {
      save.disabled = false;
      save.lastChild.textContent = "Save settings";
    }
  });
  return element;
}

/** The form as the API's body, and the problems found before asking it. */
function read(form) {
  const data = new FormData(form);
  const errors = {};
  const body = {
    max_drive_minutes: Number(data.get("max_drive_minutes")),
    allow_technician_change: data.get("allow_technician_change") === "on",
    provider_triggers: data.get("provider_triggers") || "suggest",
    text_other_countries: data.get("text_other_countries") === "on",
    slack_channel: String(data.get("slack_channel") || "").trim() || null,
    slack_events: data.getAll("slack_events").map(String),
    templates: {},
  };
  if (data.get("quiet_hours_on") === "on") {
    const start = String(data.get("quiet_hours_start") || "");
    const end = String(data.get("quiet_hours_end") || "");
    body.quiet_hours_start = start || null;
    body.quiet_hours_end = end || null;
    if (!start) errors.quiet_hours_start = "Set when quiet hours start.";
    if (!end) errors.quiet_hours_end = "Set when quiet hours end.";
    // "HH:MM" strings compare as times do
    else if (start && !(start > end && start <= LAWFUL_UNTIL && end >= LAWFUL_FROM)) {
      errors.quiet_hours_end = "Quiet hours must cover at least 9:00 pm to 8:00 am (US law lets texts reach consumers only from 8 am to 9 pm their time).";
    }
  } else {
    body.quiet_hours_start = null;
    body.quiet_hours_end = null;
  }
  if (body.slack_channel && !/^#?[A-Za-z0-9._-]{1,80}$/.test(body.slack_channel)) {
    errors.slack_channel = "A channel id or #name: letters, digits, dots, dashes and underscores.";
  }
  if (!DRIVE_CHOICES.includes(body.max_drive_minutes)) errors.max_drive_minutes = "Choose a maximum drive time.";
  for (const [key, spec] of Object.entries(NUMBERS)) {
    const raw = String(data.get(key) ?? "").trim();
    const value = Number(raw);
    // On the step's grid, within a rounding error (0.1 steps are not exact in binary)
    const steps = (value - spec.min) / spec.step;
    const onGrid = Math.abs(steps - Math.round(steps)) < 1e-9;
    if (!raw || !Number.isFinite(value) || !onGrid || value < spec.min || value > spec.max) {
      const range = `from ${spec.min} to ${spec.max}`;
      errors[key] = spec.step < 1 ? `Enter a number ${range}.`
        : spec.step > 1 ? `Enter a multiple of ${spec.step} ${spec.unit} ${range}.`
        : `Enter a whole number of ${spec.unit} ${range}.`;
    }
    body[key] = raw && Number.isFinite(value) ? value : raw;
  }
  for (const { code, name } of LANGUAGES) {
    const text = String(data.get(`templates.${code}`) || "").trim();
    if (text) body.templates[code] = text;
    else if (code === "en") errors["templates.en"] = `Write the ${name} message.`;
  }
  return { body, errors };
}

function insertAtCursor(textarea, text) {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  textarea.value = value.slice(0, start) + text + value.slice(end);
  textarea.selectionStart = textarea.selectionEnd = start + text.length;
  textarea.focus();
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}
