// A session's timeline: where it stands (banner), the text as sent and its delivery, every
// event with who did it and when; Resend, Cancel (confirmed first) and Copy phone.

import { confirmDialog, openDrawer } from "../lib/dialogs.js";
import { fact, h, icon, toast } from "../lib/dom.js";
import { formatDateTime, formatPhone, formatRelative, timeElement } from "../lib/format.js";
import { poll, refreshInProgress, store } from "../lib/store.js";

const EVENT_LABELS = {
  created: "Session started",
  sent: "Text sent",
  delivered: "Text delivered",
  undelivered: "Text not delivered",
  failed: "Reschedule failed",
  viewed: "Viewed by client",
  opened: "Link opened (bound to that browser)",
  opened_elsewhere: "Opened in another browser (phone digits given)",
  unlock_refused: "Wrong phone digits in another browser",
  resent: "Link resent",
  confirming: "New time picked",
  opening_taken: "Time taken meanwhile",
  completed: "Reschedule completed",
  confirmation_sent: "Confirmation text sent",
  confirmation_not_sent: "Confirmation text not sent",
  expired: "Link expired",
  canceled: "Canceled",
  scheduled: "Scheduled past quiet hours",
  sending: "Quiet hours ended",
  emailed: "Email sent",
  email_failed: "Email not sent",
  sms_failed: "Text not sent",
  staff_notified: "Staff told in Slack",
  staff_not_notified: "Staff not told in Slack",
  notice_sent: "Cancellation text sent",
  notice_not_sent: "Cancellation text not sent",
  move_requested: "Moved by dispatcher",
  rules_overridden: "Rules overridden",
  invitation_sent: "Invitation texted",
  invitation_emailed: "Invitation emailed",
  invitation_not_sent: "Invitation not sent",
};

const ACTORS = {
  dispatcher: "Dispatcher",
  customer: "Customer",
  system: "Reschedule Dispatch",
  provider: "Scheduling provider",
};

const DELIVERY_LABELS = {
  accepted: "Accepted",
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  undelivered: "Not delivered",
  failed: "Failed",
};

const OPEN = new Set(["link_sent", "viewed"]);
const IN_PROGRESS = new Set(["link_sent", "viewed", "confirming"]);

export function eventLabel(type) {
  return EVENT_LABELS[type] || type.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export function openSession(sessionId, { returnFocus = null } = {}) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("session-drawer"));
  let stopPolling = () => {};
  const drawer = openDrawer(dialog, {
    title: "Session",
    titleId: "session-title",
    returnFocus,
    onClose: () => stopPolling(),
  });
  const title = drawer.panel.querySelector("#session-title");
  const subtitle = h("p", { class: "muted drawer-subtitle" });
  title.after(subtitle);

  const banner = h("div", { class: "banner", "aria-live": "polite" });
  const facts = h("dl", { class: "facts" });
  const sms = h("section", { class: "sms-card", "aria-labelledby": "sms-title" });
  const events = h("ol", { class: "timeline" });
  const error = h("div", { class: "notice error", role: "alert", hidden: true });
  drawer.body.append(
    h("p", { class: "loading" }, "Loading the session…"),
    banner, error, facts, sms,
    h("section", { class: "timeline-section", "aria-labelledby": "timeline-title" },
      h("h3", { id: "timeline-title" }, "Timeline"),
      events,
    ),
  );
  title.focus();

  const resend = h("button", { type: "button", class: "button primary", hidden: true, onclick: () => act("resend") },
    icon("refresh", { size: 16 }), h("span", {}, "Resend"));
  const cancel = h("button", { type: "button", class: "button danger-outline", hidden: true, onclick: () => act("cancel") },
    "Cancel link");
  drawer.footer.append(cancel, resend);

  let session = null;
  let bannerKey = "";

  function renderSession(next) {
    session = next;
    drawer.body.querySelector(".loading")?.remove();
    title.textContent = session.customer_name;
    subtitle.textContent = `Started ${formatDateTime(session.created_at)} by ${session.dispatcher}`;

    // The banner is redrawn only when it changes, so a screen reader hears each change once.
    const key = `${session.status}|${session.expires_at}|${session.new_start}|${session.failure_reason}`;
    if (key !== bannerKey) {
      bannerKey = key;
      renderBanner(banner, session);
    }
    renderFacts(facts, session);
    sms.hidden = session.kind === "dispatcher_move"; // no link text: its invitation is an event
    if (!sms.hidden) renderSms(sms, session);
    renderEvents(events, session.timeline);

    // Resend and Cancel only while the link is open; a closed session has nothing to do.
    const open = OPEN.has(session.status) || session.status === "scheduled"; // cancelable
    const hadFocus = document.activeElement === resend || document.activeElement === cancel;
    // Emails can't be resent, and a scheduled link hasn't been sent yet.
    resend.hidden = !OPEN.has(session.status) || !(session.channels || ["sms"]).includes("sms");
    cancel.hidden = !open;
    drawer.footer.hidden = !open;
    if (!open && hadFocus) title.focus();
  }

  async function load() {
    const next = await store.api.get(`/api/sessions/${encodeURIComponent(sessionId)}`);
    if (!dialog.open) return;
    hideError();
    renderSession(next);
    if (!IN_PROGRESS.has(next.status)) stopPolling(); // nothing more will happen
  }

  async function act(action) {
    let body;
    if (action === "cancel") {
      const notify = h("input", { type: "checkbox", id: "cancel-notify" });
      const yes = await confirmDialog({
        title: "Cancel this link?",
        message: `${session.customer_name}'s link stops working right away and the appointment stays at ${formatDateTime(session.original_start)}. You can send a new link afterwards.`,
        confirmLabel: "Cancel link",
        cancelLabel: "Keep link",
        danger: true,
        extra: h("p", { class: "checkbox-line" }, notify,
          h("label", { for: "cancel-notify" }, ` Text ${session.customer_name} that the link was canceled`)),
      });
      if (!yes) return;
      body = { notify_customer: notify.checked };
    }
    const button = action === "resend" ? resend : cancel;
    const label = button.lastChild;
    const original = label.textContent;
    button.disabled = true;
    label.textContent = action === "resend" ? "Resending…" : "Canceling…";
    try {
      const updated = await store.api.post(`/api/sessions/${encodeURIComponent(sessionId)}/${action}`, body);
      hideError();
      renderSession(updated);
      toast(action === "resend" ? `Link resent to ${updated.customer_name}.` : "Link canceled.", { tone: "success" });
      refreshInProgress().catch(() => {});
    } catch (failure) {
      showError(failure.message);
      load().catch(() => {});
    } finally {
      button.disabled = false;
      label.textContent = original;
    }
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }
  function hideError() {
    error.hidden = true;
  }

  // The first load shows its error; later polls keep the last good view.
  load()
    .then(() => {
      if (session && IN_PROGRESS.has(session.status)) {
        let first = true;
        stopPolling = poll(async () => {
          if (first) {
            first = false; // poll() calls at once; the first load just happened
            return;
          }
          await load();
        });
      }
    })
    .catch((failure) => {
      drawer.body.querySelector(".loading")?.remove();
      showError(failure.status === 404 ? "This session doesn't exist in your business." : failure.message);
    });
  return drawer;
}

function renderBanner(banner, session) {
  const first = session.customer_name.split(" ")[0];
  const expires = () => [
    "The link expires ",
    timeElement(session.expires_at, formatRelative(session.expires_at)),
    ` (${formatDateTime(session.expires_at)}).`,
  ];
  const messages = {
    scheduled: [`It's quiet hours for ${first}: the link goes out ${formatDateTime(session.scheduled_for)}.`],
    link_sent: [`Waiting for ${first} to open the link. `, ...expires()],
    viewed: [`${first} opened the link and is choosing a time. `, ...expires()],
    confirming: [`${first} picked ${formatDateTime(session.new_start)}. Moving the appointment in the schedule…`],
    completed: [
      "Moved from ",
      h("s", {}, formatDateTime(session.original_start)),
      " to ",
      h("strong", {}, formatDateTime(session.new_start)),
      ".",
    ],
    failed: [
      session.failure_reason || "The appointment could not be moved.",
      ` The appointment is still at ${formatDateTime(session.original_start)}.`,
    ],
    expired: [`The link expired ${formatDateTime(session.expires_at)} before a new time was picked.`],
    canceled: ["The link was canceled and no longer works. The appointment did not move."],
  };
  if (session.kind === "dispatcher_move") {
    // No link and no customer choice: the dispatcher picked the time.
    messages.confirming = [`Moving the appointment to ${formatDateTime(session.new_start)}, as the dispatcher chose…`];
  }
  banner.className = `banner status-${session.status}`;
  banner.replaceChildren(
    h("p", { class: "banner-title" }, session.status_label),
    h("p", { class: "banner-text" }, messages[session.status] || ""),
  );
}

function renderFacts(facts, session) {
  const phone = h("span", { class: "phone-row" },
    h("a", { href: `tel:${session.customer_phone}` }, formatPhone(session.customer_phone)),
    h("button", {
      type: "button",
      class: "button ghost small",
      "data-focus-key": "copy-phone",
      onclick: () => copyPhone(session.customer_phone),
    }, icon("copy", { size: 14 }), "Copy phone"),
  );
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  const hadFocus = facts.contains(active) ? active.dataset.focusKey : null;
  const rows = [
    fact("Customer", session.customer_name),
    fact("Phone", phone),
    fact(session.new_start ? "Original time" : "Appointment", formatDateTime(session.original_start)),
    session.new_start ? fact("New time", h("strong", {}, formatDateTime(session.new_start))) : null,
    session.rules_overridden?.length ? fact("Rules overridden", session.rules_overridden.join("; ")) : null,
    IN_PROGRESS.has(session.status) && session.kind !== "dispatcher_move" ? fact("Link expires", [
      formatDateTime(session.expires_at), h("span", { class: "muted" }, ` · ${formatRelative(session.expires_at)}`),
    ]) : null,
  ];
  facts.replaceChildren(...rows.filter(Boolean));
  if (hadFocus) facts.querySelector(`[data-focus-key="${hadFocus}"]`)?.focus();
}

function renderSms(card, session) {
  const delivery = session.delivery_status;
  card.replaceChildren(
    h("div", { class: "sms-card-header" },
      h("h3", { id: "sms-title" }, "Text message"),
      delivery
        ? h("span", { class: `chip delivery-${delivery}` }, DELIVERY_LABELS[delivery] || delivery)
        : h("span", { class: "chip" }, "Not sent yet"),
    ),
    h("p", { class: "sms-bubble" }, session.message),
    h("p", { class: "hint" }, "The private link is hidden here: only the customer's phone has it."),
  );
}

function renderEvents(list, timeline) {
  list.replaceChildren(
    ...timeline.map((event) =>
      h("li", { class: `event event-${event.type}` },
        h("span", { class: "event-dot", "aria-hidden": "true" }),
        h("div", { class: "event-body" },
          h("p", { class: "event-title" }, eventLabel(event.type)),
          h("p", { class: "event-meta" },
            ACTORS[event.actor] || event.actor, " · ", timeElement(event.at, formatDateTime(event.at)),
          ),
          event.detail ? h("p", { class: "event-detail" }, event.detail) : null,
        ),
      ),
    ),
  );
}

async function copyPhone(phone) {
  try {
    await navigator.clipboard.writeText(phone);
    toast(`Copied ${formatPhone(phone)}.`, { tone: "success", timeout: 3000 });
  } catch {
    toast(`Couldn't copy. The phone number is ${phone}.`, { tone: "error" });
  }
}
