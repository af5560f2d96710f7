// An appointment from the schedule, and "Reschedule": the openings a customer would see (with
// their drives) or any other start and technician, checked against the business's rules (an
// explicit override names what it breaks); Move, then the move's progress until it ends.

import { openDrawer } from "../lib/dialogs.js";
import { debounce, fact, h, hide, icon, show } from "../lib/dom.js";
import {
  clockValue,
  formatDateTime,
  formatDay,
  formatPhone,
  formatRange,
  formatZone,
  isoDay,
  wallTimeToIso,
} from "../lib/format.js";
import { refreshInProgress, store } from "../lib/store.js";
import { eventLabel } from "./timeline.js";

const FOLLOW_MS = 1500;
const CHECK_DELAY_MS = 300;
const FINAL = new Set(["completed", "failed"]);
const LANGUAGE_NAMES = { en: "English", es: "Español" };
const OTHER = "other";

export function openMove(appointment, technicianName, trigger, technicians = null) {
  const dialog = document.getElementById("move-drawer");
  const customer = appointment.customer || { name: "Unknown customer", phone: "", email: null };
  let following = null; // the move's poll timer
  const controllers = { openings: null, check: null };
  const state = { choice: null, check: null, moving: false };

  const drawer = openDrawer(dialog, {
    title: "Appointment",
    titleId: "move-title",
    subtitle: `${customer.name} · ${appointment.service}`,
    returnFocus: trigger,
    onClose: () => {
      clearTimeout(following);
      controllers.openings?.abort();
      controllers.check?.abort();
      checkSoon.cancel();
    },
  });

  const when = `${formatDay(appointment.start)} · ${formatRange(appointment.start, appointment.end)} ${formatZone(appointment.start)}`;
  drawer.body.append(
    h("dl", { class: "facts" },
      fact("Customer", customer.phone
        ? h("span", { class: "phone-row" }, customer.name,
            h("a", { href: `tel:${customer.phone}`, class: "muted" }, formatPhone(customer.phone)))
        : customer.name),
      customer.email ? fact("Email", customer.email) : null,
      fact("Service", appointment.service),
      appointment.address ? fact("Address", appointment.address) : null,
      fact("Current time", when),
      fact("Technician", technicianName || appointment.technician_id),
    ),
    appointment.session
      ? h("p", { class: "notice warning" },
          `A reschedule is in progress (${appointment.session.status_label}). Moving the appointment here cancels the customer's link.`)
      : null,
  );

  // --- the new time -------------------------------------------------------------------------
  const choices = h("div", { class: "move-choices", "aria-busy": "true" },
    h("p", { class: "muted" }, "Loading the openings…"));
  const otherDay = h("input", { id: "move-day", type: "date", value: isoDay(new Date(appointment.start)), oninput: () => changedOther() });
  const otherTime = h("input", { id: "move-time", type: "time", step: 300, value: clockValue(appointment.start), oninput: () => changedOther() });
  const otherTech = h("select", { id: "move-technician", onchange: () => changedOther() });
  const otherFields = h("div", { class: "move-other", hidden: true },
    h("div", { class: "field" }, h("label", { for: "move-day" }, "Day"), otherDay),
    h("div", { class: "field" }, h("label", { for: "move-time" }, "Start"), otherTime),
    h("div", { class: "field" }, h("label", { for: "move-technician" }, "Technician"), otherTech),
  );
  const rules = h("div", { id: "move-rules", class: "move-rules", "aria-live": "polite" });
  const override = h("input", { type: "checkbox", id: "move-override", onchange: () => updateMoveButton() });
  const overrideField = h("label", { class: "checkbox-field", hidden: true },
    override, h("span", {}, "Move it anyway, breaking these rules (recorded on the timeline)"));

  // --- telling the customer -----------------------------------------------------------------
  const sms = h("input", { type: "checkbox", id: "move-sms", checked: Boolean(customer.phone), onchange: () => showContacts() });
  const email = h("input", { type: "checkbox", id: "move-email", checked: Boolean(customer.email), onchange: () => showContacts() });
  const phoneInput = h("input", { id: "move-phone", type: "tel", autocomplete: "off", placeholder: "+1 312 555 0142" });
  const emailInput = h("input", { id: "move-email-address", type: "email", autocomplete: "off" });
  const phoneField = h("div", { class: "field", hidden: true },
    h("label", { for: "move-phone" }, "Phone for this text"), phoneInput);
  const emailField = h("div", { class: "field", hidden: true },
    h("label", { for: "move-email-address" }, "Email address for this message"), emailInput);
  let language = "en";
  const languagePicker = h("fieldset", { class: "segmented" },
    h("legend", {}, "Language"),
    Object.entries(LANGUAGE_NAMES).map(([code, name]) =>
      h("label", {},
        h("input", { type: "radio", name: "move-language", value: code, checked: code === language, onchange: () => (language = code) }),
        h("span", {}, name),
      ),
    ),
  );
  const notify = h("fieldset", { class: "channels" },
    h("legend", {}, "Send the invitation (new time, technician, calendar file)"),
    h("label", { class: "channel-choice" }, sms,
      h("span", {}, "Text", h("span", { class: "muted" }, ` · ${customer.phone ? formatPhone(customer.phone) : "no phone on file"}`))),
    phoneField,
    h("label", { class: "channel-choice" }, email,
      h("span", {}, "Email", h("span", { class: "muted" }, ` · ${customer.email || "no email address on file"}`))),
    emailField,
    languagePicker,
  );

  const error = h("div", { class: "notice error", role: "alert", hidden: true });
  const progress = h("section", { class: "move-progress", "aria-labelledby": "move-progress-title", hidden: true },
    h("h3", { id: "move-progress-title" }, "Move"),
  );
  const progressBody = h("div", { "aria-live": "polite" });
  progress.append(progressBody);

  const form = h("section", { class: "stack", "aria-labelledby": "move-reschedule-title" },
    h("h3", { id: "move-reschedule-title" }, "Reschedule"),
    h("fieldset", { class: "move-time" },
      h("legend", {}, "New time"),
      choices,
      otherFields,
    ),
    rules,
    overrideField,
    notify,
  );
  drawer.body.append(form, error, progress);

  const close = h("button", { type: "button", class: "button secondary", onclick: () => drawer.close() }, "Close");
  const move = h("button", { type: "button", class: "button primary", disabled: true, onclick: () => submit() },
    icon("calendar", { size: 16 }), h("span", {}, "Move"));
  drawer.footer.append(close, move);
  showContacts();

  // --- openings ----------------------------------------------------------------------------
  async function loadOpenings() {
    controllers.openings = new AbortController();
    let openings = [];
    try {
      const answer = await store.api.get(`/api/appointments/${encodeURIComponent(appointment.id)}/openings`,
        { signal: controllers.openings.signal });
      openings = answer.openings;
    } catch (failure) {
      if (failure.name === "AbortError") return;
      show(error, `The openings aren't available: ${failure.message}`);
    }
    const names = new Map((technicians || []).map((t) => [t.id, t.name]));
    for (const o of openings) names.set(o.technician_id, o.technician_name);
    names.set(appointment.technician_id, technicianName || appointment.technician_id);
    otherTech.replaceChildren(...[...names].map(([id, name]) =>
      h("option", { value: id, selected: id === appointment.technician_id }, name)));
    // Best first, as the API ranks them.
    fill(choices,
      openings.length ? null : h("p", { class: "muted" }, "No openings fit the rules: choose another time below."),
      openings.map((o, i) => choice(`opening-${i}`, o,
        h("span", {}, `${formatDay(o.start)} · ${formatRange(o.start, o.end)}`,
          h("span", { class: "muted" }, ` · ${o.technician_name} · drive ${o.drive_minutes_before} min in, ${o.drive_minutes_after} min out`)))),
      choice(OTHER, null, h("span", {}, "Another time or technician")),
    );
    choices.removeAttribute("aria-busy");
  }

  function choice(id, opening, label) {
    return h("label", { class: "channel-choice move-choice" },
      h("input", {
        type: "radio",
        name: "move-choice",
        value: id,
        onchange: () => {
          state.choice = opening ? { start: opening.start, technician_id: opening.technician_id } : OTHER;
          otherFields.hidden = Boolean(opening);
          if (opening) {
            state.check = { allowed: true, broken_rules: [] };
            showRules();
          } else {
            changedOther();
          }
        },
      }),
      label,
    );
  }

  // --- another time: checked against the rules as it is typed ------------------------------
  function chosenOther() {
    if (!otherDay.value || !otherTime.value || !otherTech.value) return null;
    return { start: wallTimeToIso(otherDay.value, otherTime.value), technician_id: otherTech.value };
  }

  function changedOther() {
    if (state.choice !== OTHER) return;
    state.check = null;
    override.checked = false;
    showRules();
    checkSoon();
  }

  const checkSoon = debounce(async () => {
    const chosen = chosenOther();
    if (!chosen) return;
    controllers.check?.abort();
    controllers.check = new AbortController();
    try {
      const answer = await store.api.post(`/api/appointments/${encodeURIComponent(appointment.id)}/move/check`,
        chosen, { signal: controllers.check.signal });
      state.check = answer;
    } catch (failure) {
      if (failure.name === "AbortError") return;
      state.check = null;
      show(error, failure.message);
    }
    showRules();
  }, CHECK_DELAY_MS);

  function showRules() {
    const check = state.check;
    rules.replaceChildren();
    overrideField.hidden = true;
    if (state.choice === OTHER && !check) {
      rules.append(h("p", { class: "muted" }, "Checking the time against the rules…"));
    } else if (check && check.broken_rules.length) {
      rules.append(
        h("p", { class: "notice warning" }, icon("alert", { size: 16 }), " This time breaks the business's rules:"),
        h("ul", { class: "rule-list" }, check.broken_rules.map((rule) => h("li", {}, rule))),
      );
      overrideField.hidden = false;
    } else if (state.choice === OTHER && check) {
      rules.append(h("p", { class: "notice success" }, icon("check", { size: 16 }), " This time fits the rules."));
    }
    updateMoveButton();
  }

  function updateMoveButton() {
    const check = state.check;
    const ready = state.choice && check && (check.allowed || override.checked);
    move.disabled = state.moving || !ready;
  }

  function showContacts() {
    phoneField.hidden = !(sms.checked && !customer.phone);
    emailField.hidden = !(email.checked && !customer.email);
  }

  // --- moving ------------------------------------------------------------------------------
  async function submit() {
    const chosen = state.choice === OTHER ? chosenOther() : state.choice;
    if (!chosen) return;
    hide(error);
    state.moving = true;
    updateMoveButton();
    move.lastElementChild.textContent = "Moving…";
    const body = {
      ...chosen,
      override: override.checked,
      notify: { sms: sms.checked, email: email.checked, language },
    };
    if (sms.checked && !customer.phone) body.notify.phone = phoneInput.value.trim();
    if (email.checked && !customer.email) body.notify.email_address = emailInput.value.trim();
    try {
      const accepted = await store.api.post(`/api/appointments/${encodeURIComponent(appointment.id)}/move`, body);
      form.hidden = true;
      move.hidden = true;
      progress.hidden = false;
      renderProgress({ status: "confirming", status_label: "Moving", timeline: [] }, accepted);
      follow(accepted);
      refreshInProgress().catch(() => {});
    } catch (failure) {
      const details = (failure.detail || []).map((d) => d.msg).filter(Boolean);
      show(error, failure.message + (details.length ? ` ${details.join(" ")}` : ""));
      if (failure.body?.broken_rules) {
        state.check = { allowed: false, broken_rules: failure.body.broken_rules };
        showRules();
      }
      state.moving = false;
      move.lastElementChild.textContent = "Move";
      updateMoveButton();
    }
  }

  function follow(accepted) {
    const tick = async () => {
      let session;
      try {
        session = await store.api.get(`/api/sessions/${encodeURIComponent(accepted.session_id)}`);
      } catch {
        following = setTimeout(tick, FOLLOW_MS); // the next look may work
        return;
      }
      renderProgress(session, accepted);
      const invited = session.timeline.some((e) => e.type.startsWith("invitation_"));
      const settled = session.status === "failed" || (session.status === "completed" && (invited || !expectsInvitation()));
      if (settled) {
        refreshInProgress().catch(() => {});
        return;
      }
      following = setTimeout(tick, FOLLOW_MS);
    };
    following = setTimeout(tick, FOLLOW_MS);
  }

  function expectsInvitation() {
    return sms.checked || email.checked;
  }

  function renderProgress(session, accepted) {
    const done = FINAL.has(session.status);
    const tone = session.status === "completed" ? "success" : session.status === "failed" ? "error" : "info";
    const headline = session.status === "completed"
      ? `Moved to ${formatDateTime(accepted.start)} with ${accepted.technician.name}.`
      : session.status === "failed"
        ? `Not moved: ${session.failure_reason || "the appointment could not be moved."}`
        : `Moving to ${formatDateTime(accepted.start)} with ${accepted.technician.name}…`;
    fill(progressBody,
      h("p", { class: `notice ${tone}`, "data-move-status": session.status }, headline),
      accepted.problems?.length ? h("p", { class: "notice warning" }, accepted.problems.join(" ")) : null,
      accepted.canceled_session_id ? h("p", { class: "muted" }, "The customer's open link was canceled.") : null,
      session.timeline.length
        ? h("ol", { class: "move-events" }, session.timeline.map((e) =>
            h("li", {}, h("strong", {}, eventLabel(e.type)), e.detail ? h("span", { class: "muted" }, ` · ${e.detail}`) : null)))
        : null,
      done ? null : h("p", { class: "muted" }, "Holding the time, re-checking, moving it in the scheduling provider…"),
    );
  }

  loadOpenings();
}

/** Replaces the children, skipping null and false (as h() does). */
function fill(element, ...children) {
  element.replaceChildren(...h("div", {}, ...children).childNodes);
}
