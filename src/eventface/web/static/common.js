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
    // the text for the error's code in the page's language (static/i18n.js, web/error_texts.py)
    const code = (body && body.code) || (response.status === 429 ? "rate_limited" : "error");
    const error = new Error(I18N.errorText(code, body && body.detail));
    error.code = code;
    error.status = response.status;
    throw error;
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
  forgetRoundTripNotice();
  confirmForms();
  newEventForm();
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

// ?google=connected and the like are shown once: a reload or a shared link must not repeat them.
function forgetRoundTripNotice() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has("google") && !url.searchParams.has("google_error")) return;
  url.searchParams.delete("google");
  url.searchParams.delete("google_error");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
}

function confirmForms() {
  for (const form of document.querySelectorAll("form[data-confirm]:not(#delete-form)")) {
    form.addEventListener("submit", (event) => {
      if (!confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

// The new-event form: only the chosen source's fields are shown, required and sent. What was
// typed survives the trip to Google's consent screen and back.
function newEventForm() {
  const form = document.getElementById("new-event");
  if (!form) return;
  const KEPT = "eventface-new-event";
  const name = document.getElementById("name");
  const date = document.getElementById("event_date");
  const panels = form.querySelectorAll(".source-panel");
  const main = { local_folder: "folder", google_drive: "drive_link" };

  function showSource() {
    const chosen = form.querySelector('input[name="source"]:checked');
    const source = chosen ? chosen.value : "local_folder";
    for (const panel of panels) {
      const active = panel.dataset.source === source;
      panel.hidden = !active;
      for (const field of panel.querySelectorAll("input, select")) field.disabled = !active;
    }
    const field = document.getElementById(main[source]);
    if (field) field.required = true;
  }

  const saved = sessionStorage.getItem(KEPT);
  if (saved) {
    sessionStorage.removeItem(KEPT);
    try {
      const values = JSON.parse(saved);
      if (!name.value) name.value = values.name || "";
      if (values.event_date) date.value = values.event_date;
    } catch (_) { /* an old or altered value: ignore it */ }
  }
  for (const link of form.querySelectorAll("a.google-connect")) {
    link.addEventListener("click", () => {
      sessionStorage.setItem(KEPT, JSON.stringify({ name: name.value, event_date: date.value }));
    });
  }
  for (const radio of form.querySelectorAll('input[name="source"]')) radio.addEventListener("change", showSource);
  showSource();
}
