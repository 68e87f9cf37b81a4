// Calls to the REST API (/api/v1/) with the browser's session: JSON in, JSON out, and errors
// turned into ApiError with the API's own message (routing/api/errors.py's shape).

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details || {};
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  // Every unsafe method needs Django's CSRF token with a session, a DELETE without a body too.
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) {
    if (body instanceof FormData || body instanceof Blob) {
      init.body = body;
    } else {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "The server cannot be reached; check the connection and try again.");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && data.error;
    throw new ApiError(response.status, error ? error.message : `HTTP ${response.status}`, error && error.details);
  }
  return data;
}

export const api = {
  get: (path, params) => {
    const query = params ? new URLSearchParams(
      Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""),
    ).toString() : "";
    return request("GET", query ? `${path}?${query}` : path);
  },
  post: (path, body) => request("POST", path, body === undefined ? {} : body),
  put: (path, body) => request("PUT", path, body),
  patch: (path, body) => request("PATCH", path, body),
  delete: (path) => request("DELETE", path),
};

// The API's base for one cluster, e.g. clusterApi("demo", "services/") -> /api/v1/clusters/demo/services/
export function clusterApi(cluster, rest = "") {
  return `/api/v1/clusters/${encodeURIComponent(cluster)}/${rest}`;
}
