// The HTTP API: JSON in, JSON out, errors as ApiError with the server's stable code.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

/**
 * createApi(getToken, onSignedOut) → {get, post, put, patch, del, request}.
 * Paths are absolute ("/api/me"); `params` become the query string (null values are left
 * out). A body is sent as JSON, except a Blob (a picture to upload), sent as it is.
 * A 401 bad_token on an authenticated call calls onSignedOut() once.
 */
export function createApi(getToken, onSignedOut) {
  async function request(method, path, { body, params, auth = true } = {}) {
    let url = path;
    if (params) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
      const s = q.toString();
      if (s) url += `?${s}`;
    }
    const headers = {};
    const token = auth ? getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    const raw = body instanceof Blob;
    if (body !== undefined) headers["Content-Type"] = raw ? body.type || "application/octet-stream" : "application/json";
    let res;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined || raw ? body : JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached.");
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const err = data && data.error ? data.error : { code: `http_${res.status}`, message: res.statusText };
      if (res.status === 401 && token && (err.code === "bad_token" || err.code === "unauthenticated")) onSignedOut?.();
      throw new ApiError(res.status, err.code, err.message, err.details);
    }
    if (data && typeof data === "object" && !Array.isArray(data)) {
      Object.defineProperty(data, "_status", { value: res.status, enumerable: false });
    }
    return data;
  }
  return {
    request,
    get: (path, params, opts) => request("GET", path, { params, ...opts }),
    post: (path, body, opts) => request("POST", path, { body, ...opts }),
    put: (path, body, opts) => request("PUT", path, { body, ...opts }),
    patch: (path, body, opts) => request("PATCH", path, { body, ...opts }),
    del: (path, opts) => request("DELETE", path, { ...opts }),
  };
}
