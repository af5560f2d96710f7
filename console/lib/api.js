// The dispatcher API: JSON over fetch with the bearer token. Every failure becomes an
// ApiError carrying the API's own message, so views can show it as is.

const TIMEOUT_MS = 20000;

export class ApiError extends Error {
  constructor(status, message, { detail = null, body = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail; // 422: [{loc, msg, type}]
    this.body = body; // e.g. 409 {message, session_id}
  }
}

export function createApi({ baseUrl, token, onUnauthorized }) {
  const base = (baseUrl || "").replace(/\/+$/, "");

  /**
   * @param {string} method
   * @param {string} path
   * @param {{ body?: any, query?: object, signal?: AbortSignal }} [options]
   */
  async function request(method, path, { body, query, signal } = {}) {
    const url = new URL(base + path, window.location.href);
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
    }
    const headers = { Accept: "application/json" };
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";

    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        credentials: "omit", // the bearer token is the only credential
        cache: "no-store",
      });
    } catch (error) {
      if (signal?.aborted) throw error; // the caller moved on; not an error to show
      const message = timeout.aborted
        ? "The server took too long to answer. Try again."
        : "Can't reach the server. Check your connection and try again.";
      throw new ApiError(0, message);
    }

    const data = await readJson(response);
    if (response.ok) return data;
    if (response.status === 401) onUnauthorized?.();
    const message =
      (data && typeof data.message === "string" && data.message) ||
      `The request failed (${response.status}).`;
    throw new ApiError(response.status, message, { detail: data?.detail ?? null, body: data });
  }

  return {
    get: (path, options) => request("GET", path, options),
    post: (path, body, options) => request("POST", path, { ...options, body }),
    put: (path, body, options) => request("PUT", path, { ...options, body }),
    delete: (path, options) => request("DELETE", path, options),
  };
}

async function readJson(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** The 422 detail list as {field: message}, keyed by the last path element of each loc. */
export function fieldErrors(error) {
  const errors = {};
  for (const item of error?.detail || []) {
    const loc = (item.loc || []).filter((part) => part !== "body");
    const key = loc.map(String).join(".") || "_";
    errors[key] ??= item.msg;
  }
  return errors;
}
