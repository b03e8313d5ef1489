// Small helpers shared by the photographer pages.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function apiFetch(url, options = {}) {
  const headers = Object.assign({ "X-CSRF-Token": csrfToken(), Accept: "application/json" }, options.headers || {});
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(url, Object.assign({}, options, { headers, credentials: "same-origin" }));
  let body = null;
  try { body = await response.json(); } catch (_) { /* an empty or non-JSON answer */ }
  if (!response.ok) {
    const detail = body && body.detail;
    throw new Error(typeof detail === "string" ? detail : `HTTP ${response.status}`);
  }
  return body;
}

document.addEventListener("DOMContentLoaded", () => {
  const copy = document.getElementById("copy-link");
  if (copy) {
    copy.addEventListener("click", async () => {
      const input = document.getElementById("guest-url");
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (_) {
        input.select();
        document.execCommand("copy");
      }
      const label = copy.textContent;
      copy.textContent = copy.dataset.copied;
      setTimeout(() => { copy.textContent = label; }, 1500);
    });
  }
  const del = document.getElementById("delete-form");
  if (del) {
    del.addEventListener("submit", (event) => {
      const typed = document.getElementById("confirm-name").value.trim();
      if (typed !== del.dataset.name) {
        event.preventDefault();
        alert(del.dataset.mismatch);
      } else if (!confirm(del.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
});
