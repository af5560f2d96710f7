// Times are shown in the business's time zone (from /api/me), whatever the browser's is:
// a Chicago business's dispatcher working from elsewhere still talks in Chicago times.

let timeZone; // undefined: the browser's zone, until the business's is known
const cache = new Map();

export function setTimeZone(zone) {
  timeZone = zone || undefined;
  cache.clear();
}

function formatter(key, options) {
  if (!cache.has(key)) {
    cache.set(key, new Intl.DateTimeFormat("en-US", { timeZone, ...options }));
  }
  return cache.get(key);
}

const parts = (key, options, date) =>
  Object.fromEntries(formatter(key, options).formatToParts(date).map((p) => [p.type, p.value]));

/** "Tue, Nov 25" */
export function formatDay(iso) {
  return formatter("day", { weekday: "short", month: "short", day: "numeric" }).format(new Date(iso));
}

/** "8:00 AM" */
function formatClock(iso) {
  return formatter("clock", { hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

/** "8:00:05 AM", for "updated at" stamps */
export function formatClockSeconds(date) {
  return formatter("seconds", { hour: "numeric", minute: "2-digit", second: "2-digit" }).format(date);
}

/** "CST" (or "GMT-6" where no abbreviation exists) */
export function formatZone(iso) {
  return parts("zone", { timeZoneName: "short" }, new Date(iso)).timeZoneName || "";
}

/** "Tue, Nov 25 · 8:00 AM CST" */
export function formatDateTime(iso, { zone = true } = {}) {
  if (!iso) return "—";
  const text = `${formatDay(iso)} · ${formatClock(iso)}`;
  return zone ? `${text} ${formatZone(iso)}` : text;
}

/** "8:00 – 9:00 AM" style range for an appointment on one day. */
export function formatRange(startIso, endIso) {
  const f = formatter("range", { hour: "numeric", minute: "2-digit" });
  return f.formatRange ? f.formatRange(new Date(startIso), new Date(endIso)) : formatClock(startIso);
}

/** A full, unambiguous timestamp for title attributes and <time> tooltips. */
function formatFull(iso) {
  return formatter("full", {
    weekday: "long", year: "numeric", month: "long", day: "numeric",
    hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short",
  }).format(new Date(iso));
}

// The local stack's clock can be set away from the real one (/dev/clock): what it is ahead
// of this browser's clock, so "in 2 days" and "updated 5 min ago" agree with the server.
// Always 0 in AWS. (A sign-in token's expiry stays in real time: auth.js.)
let clockOffsetMs = 0;

export function setClockOffset(ms) {
  clockOffsetMs = Number.isFinite(ms) ? ms : 0;
}

/** Now, in milliseconds since the epoch, by the product's clock. */
export function nowMs() {
  return Date.now() + clockOffsetMs;
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "long" });

/** "in 11 hours", "3 minutes ago", "just now" */
export function formatRelative(iso, now = nowMs()) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds >= 0 ? "in a moment" : "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400 * 1.5) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86400), "day");
}

/** A <time> element: readable text, machine value, the full time on hover. */
export function timeElement(iso, text) {
  const element = document.createElement("time");
  element.dateTime = iso;
  element.title = formatFull(iso);
  element.textContent = text;
  return element;
}

/** "+13125550100" → "(312) 555-0100"; other countries stay in E.164. */
export function formatPhone(phone) {
  const match = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phone || "");
  return match ? `(${match[1]}) ${match[2]}-${match[3]}` : phone || "";
}

/** A friendly name for a time zone id: "Central Time" for America/Chicago. */
export function zoneName(zone) {
  try {
    const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longGeneric" })
      .formatToParts(new Date())
      .find((p) => p.type === "timeZoneName");
    return name ? name.value : zone;
  } catch {
    return zone;
  }
}

/** The business's calendar day of a moment, "2026-11-25" (for the schedule's queries). */
export function isoDay(date = new Date(nowMs())) {
  const p = parts("isoday", { year: "numeric", month: "2-digit", day: "2-digit" }, date);
  return `${p.year}-${p.month}-${p.day}`;
}

/** "2026-11-25" plus n days (calendar arithmetic, no time zone involved). */
export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** "Wed, Nov 25" for a calendar day (no time zone shift). */
export function formatIsoDay(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat("en-US", { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/** "14:00" on the business's clock, for a time input. */
export function clockValue(iso) {
  const p = parts("clock24", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }, new Date(iso));
  return `${p.hour}:${p.minute}`;
}

/** Minutes the business's zone is ahead of UTC at `date`. */
function offsetMinutes(date) {
  const p = parts("offset", {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }, date);
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((wall - date.getTime()) / 60000);
}

/** A day and a clock time on the business's wall clock, as an ISO instant (UTC). */
export function wallTimeToIso(day, clock) {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = clock.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let instant = wall - offsetMinutes(new Date(wall)) * 60000;
  // Near a clock change the first guess can use the other side's offset: correct once.
  instant = wall - offsetMinutes(new Date(instant)) * 60000;
  return new Date(instant).toISOString();
}
