// Uploads to POST /api/media with XMLHttpRequest, for its upload progress (fetch has none),
// and cancel. The body is the file's raw bytes; the answer is a Media view.

import { ApiError } from "../api.js";

/** What the server is asked to make of a file: a recording is `voice`, pictures and
 * videos by their type, anything else a `file`. */
export function kindOf(file, voice = false) {
  if (voice) return "voice";
  const type = (file.type || "").toLowerCase();
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("video/")) return "video";
  return "file";
}

/**
 * upload({token, room, file, kind, onProgress}) → {done: Promise<Media>, abort()}.
 * onProgress(sent, total) as bytes leave; errors are ApiError (status 0 when the network
 * failed, code "upload_cancelled" when aborted).
 */
export function upload({ token, room, file, kind, name, onProgress }) {
  const xhr = new XMLHttpRequest();
  const q = new URLSearchParams({ room, kind, name: name || file.name || "file" });
  const done = new Promise((resolve, reject) => {
    xhr.open("POST", `/api/media?${q}`);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, "network_error", "The server could not be reached."));
    xhr.onabort = () => reject(new ApiError(0, "upload_cancelled", "Cancelled."));
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data) return resolve(data);
      const err = data && data.error ? data.error : { code: `http_${xhr.status}`, message: xhr.statusText };
      reject(new ApiError(xhr.status, err.code, err.message, err.details));
    };
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
