// In progress and History: every session of the business, newest first, kept current by
// polling (In progress shares the app-wide poll; History asks for its first page itself).

import { clear, h, statusChip } from "../lib/dom.js";
import { formatClockSeconds, formatDateTime, nowMs, formatPhone, formatRelative, timeElement } from "../lib/format.js";
import { on, poll, refreshInProgress, store } from "../lib/store.js";
import { eventLabel, openSession } from "./timeline.js";

const PAGE_SIZE = 25;
const IN_PROGRESS = new Set(["link_sent", "viewed", "confirming"]);

const COPY = {
  "in-progress": {
    title: "In progress",
    intro: "Links waiting for the customer, and times being confirmed. Updates on its own.",
    empty: "No sessions in progress.",
    emptyHint: "Links you send show up here until the customer picks a time, or the link expires.",
  },
  history: {
    title: "History",
    intro: "Finished sessions: completed, failed, expired and canceled.",
    empty: "No finished sessions yet.",
    emptyHint: "Sessions move here once they end.",
  },
};

export function render(view, { route }) {
  const copy = COPY[route];
  const updated = h("p", { class: "updated muted", "aria-live": "off" });
  const body = h("div", { class: "sessions" });
  const more = h("button", { type: "button", class: "button secondary", hidden: true }, "Load older sessions");
  const error = h("div", { class: "notice error", role: "alert", hidden: true });
  view.append(
    h("header", { class: "page-header" },
      h("div", {},
        h("h1", { tabindex: "-1" }, copy.title),
        h("p", { class: "muted" }, copy.intro),
      ),
      updated,
    ),
    error,
    body,
    h("div", { class: "load-more" }, more),
  );


  function show(sessions) {
    renderTable(body, sessions, route, copy);
    updated.textContent = `Updated ${formatClockSeconds(new Date(nowMs()))}`;
  }
  function fail(failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }

  const stops = [];
  if (route === "in-progress") {
    if (store.inProgress) show(store.inProgress.sessions);
    else body.append(h("p", { class: "loading" }, "Loading…"));
    // The app-wide poll (app.js) asks every 5 s; each answer redraws the list. Ask once now
    // so the tab opens current.
    stops.push(on("sessions-polled", (data) => {
      error.hidden = true;
      show(data.sessions);
    }));
    refreshInProgress().catch(fail);
  } else {
    body.append(h("p", { class: "loading" }, "Loading…"));
    let first = []; // the newest page, asked for again at every poll
    let older = []; // pages added with "Load older sessions"
    let cursor = null;
    const showAll = () => {
      const seen = new Set();
      show([...first, ...older].filter((s) => !seen.has(s.id) && seen.add(s.id)));
      more.hidden = !cursor;
    };
    stops.push(poll(async () => {
      try {
        const page = await store.api.get("/api/sessions", { query: { view: "history", limit: PAGE_SIZE } });
        error.hidden = true;
        first = page.sessions;
        if (!older.length) cursor = page.cursor;
        showAll();
      } catch (failure) {
        fail(failure);
      }
    }));
    more.addEventListener("click", async () => {
      more.disabled = true;
      more.textContent = "Loading…";
      try {
        const page = await store.api.get("/api/sessions", { query: { view: "history", limit: PAGE_SIZE, cursor } });
        older = [...older, ...page.sessions];
        cursor = page.cursor;
        showAll();
      } catch (failure) {
        fail(failure);
      } finally {
        more.disabled = false;
        more.textContent = "Load older sessions";
      }
    });
  }
  return () => stops.forEach((stop) => stop());
}

function renderTable(body, sessions, route, copy) {
  const focusKey = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.focusKey;
  clear(body);
  if (!sessions.length) {
    body.append(h("div", { class: "empty-state" },
      h("p", { class: "empty-title" }, copy.empty),
      h("p", { class: "muted" }, copy.emptyHint),
    ));
    return;
  }
  const table = h("table", { class: "session-table" },
    h("caption", { class: "visually-hidden" }, `${copy.title}: ${sessions.length} sessions, newest first. Open one to see its timeline.`),
    h("thead", {}, h("tr", {},
      ["Customer", "Appointment", "Status", route === "history" ? "Link" : "Link expires", "Last event"].map((label) => h("th", { scope: "col" }, label)),
    )),
    h("tbody", {}, sessions.map((session) => row(session, route))),
  );
  body.append(h("div", { class: "table-wrap" }, table));
  if (focusKey) body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

/** When the link expires (in progress), or what became of it (history). */
function linkExpiry(session) {
  // A dispatcher's move has no link: say what it is instead.
  if (session.kind === "dispatcher_move") return ["No link", h("span", { class: "cell-sub" }, "Moved by dispatcher")];
  const when = h("span", { class: "cell-sub" }, formatDateTime(session.expires_at));
  if (IN_PROGRESS.has(session.status)) {
    return [timeElement(session.expires_at, formatRelative(session.expires_at)), when];
  }
  if (session.status === "expired") return ["Expired", when];
  return ["Closed", h("span", { class: "cell-sub" }, `Would have expired ${formatDateTime(session.expires_at)}`)];
}

function row(session, route) {
  const open = h("button", {
    type: "button",
    class: "row-link",
    "data-focus-key": `session-${session.id}`,
    onclick: (event) => openSession(session.id, { returnFocus: event.currentTarget }),
  }, session.customer_name);
  // One wrapper per cell: on small screens each cell is a label/value grid of two items.
  const cell = (label, ...content) => h("td", { "data-label": label }, h("div", { class: "cell" }, ...content));
  const tr = h("tr", { "data-session-id": session.id },
    cell("Customer", open, h("span", { class: "cell-sub" }, formatPhone(session.customer_phone))),
    cell("Appointment",
      session.new_start
        ? [
            h("s", { class: "cell-sub old-time" }, formatDateTime(session.original_start)),
            h("span", { class: "new-time" }, "→ ", formatDateTime(session.new_start)),
          ]
        : formatDateTime(session.original_start),
    ),
    cell("Status", statusChip(session.status, session.status_label)),
    cell(route === "history" ? "Link" : "Link expires", ...linkExpiry(session)),
    cell("Last event",
      session.last_event_type ? eventLabel(session.last_event_type) : "—",
      session.last_event_at ? h("span", { class: "cell-sub" }, timeElement(session.last_event_at, formatRelative(session.last_event_at))) : null,
    ),
  );
  // The whole row opens the timeline for a mouse; the name's button is the keyboard's way in.
  tr.addEventListener("click", (event) => {
    if (event.target.closest("button, a")) return;
    openSession(session.id, { returnFocus: open });
  });
  return tr;
}
