// The host tools talk to the server through one small shape: async get/post/patch/put/del
// that resolve to parsed JSON (null for 204) and throw an Error carrying the server's
// error .code, .status, .message and .details. The chat view's api object already has
// that shape; a fetch-style function (path, init) => Response is adapted, and with no api
// at all the panel falls back to fetch with the token the chat view gives in ctx.token.

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = (error && error.code) || "http_error";
    this.details = (error && error.details) || {};
  }
}

async function parse(res) {
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data && data.error);
  return data;
}

function fetchStyle(fn, token) {
  return async (method, path, body) => {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    const res = await fn(path, init);
    // A wrapper that already parsed the answer returns data, not a Response.
    return typeof Response !== "undefined" && res instanceof Response ? parse(res) : res;
  };
}

/** The {get, post, patch, put, del} client for ctx, whatever ctx.api turned out to be. */
export function hostApi(ctx) {
  const given = ctx && ctx.api;
  if (given && typeof given.get === "function" && typeof given.post === "function") {
    const del = given.del || given.delete;
    return {
      get: (path) => given.get(path),
      post: (path, body) => given.post(path, body),
      patch: (path, body) => given.patch(path, body),
      put: (path, body) => given.put(path, body),
      del: (path) => del.call(given, path),
    };
  }
  const token = ctx && ctx.token;
  const call =
    typeof given === "function" ? fetchStyle(given, token) : fetchStyle((p, i) => fetch(p, i), token);
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body === undefined ? {} : body),
    patch: (path, body) => call("PATCH", path, body),
    put: (path, body) => call("PUT", path, body),
    del: (path) => call("DELETE", path),
  };
}

/** A path under the room: roomPath("abc", "members", id, "kick"). Segments are encoded. */
export function roomPath(roomId, ...segments) {
  return ["/api/rooms", ...[roomId, ...segments].map((s) => encodeURIComponent(String(s)))].join("/");
}

/** Append a query string, dropping empty values. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
