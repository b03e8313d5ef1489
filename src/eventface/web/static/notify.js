// "Email me when new photos of me arrive" (templates/_notify.html, web/notify_pages.py).
//
// Contract with the guest page (guest.js): after every search it dispatches
//   document.dispatchEvent(new CustomEvent("eventface:searched", { detail: { selfies: [File, ...] } }))
// with the selfie Files (as uploaded, i.e. already shrunk) that search used, and
//   document.dispatchEvent(new CustomEvent("eventface:cleared"))
// when the guest drops them (start over, a selfie removed). The offer shows only after a search
// that had selfies. The Files stay in this closure, in memory, and are sent again only when the
// guest asks for the emails; only their faces' embeddings are kept by the server.
"use strict";

(() => {
  let selfies = [];
  const $ = (id) => document.getElementById(id);
  const strings = () => {
    const node = $("notify-strings");
    return node ? JSON.parse(node.textContent) : {};
  };
  const t = (text) => strings()[text] || text;
  // what the page says for an error code of the API (web/errors.py), in the guest's language
  const ERRORS = {
    invalid_email: "not a valid email address",
    notify_closed: "This event no longer sends new photos by email.",
    rate_limited: "Too many requests: please wait a minute and try again.",
    busy: "The server is busy right now. Please try again in a moment.",
    no_usable_selfie: "Search with a selfie first.",
  };

  function showError(message) {
    const box = $("notify-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  document.addEventListener("eventface:searched", (event) => {
    const files = event.detail && Array.isArray(event.detail.selfies) ? event.detail.selfies : [];
    selfies = files.filter((file) => file instanceof Blob).slice(0, 3);
    const section = $("notify");
    if (!section) return;
    section.hidden = selfies.length === 0;
    $("notify-form").hidden = false;
    $("notify-done").hidden = true;
    showError("");
  });

  document.addEventListener("eventface:cleared", () => {
    selfies = [];
    const section = $("notify");
    if (section) section.hidden = true;
  });

  async function subscribe(section) {
    const email = $("notify-email").value.trim();
    if (!email || !$("notify-email").checkValidity()) {
      showError(t("Please give your email address."));
      $("notify-email").focus();
      return;
    }
    if (!$("notify-consent").checked) {
      showError(t("Please give your consent first."));
      $("notify-consent").focus();
      return;
    }
    if (selfies.length === 0) { showError(t("Search with a selfie first.")); return; }
    showError("");
    const button = $("notify-button");
    button.disabled = true;
    button.textContent = t("Sending…");
    const body = new FormData();
    body.append("consent", "true");
    body.append("email", email);
    body.append("language", section.dataset.lang || "en");
    selfies.forEach((file, i) => body.append("selfies", file, file.name || `selfie-${i + 1}.jpg`));
    try {
      const response = await fetch(`/api/e/${section.dataset.slug}/subscribe`, {
        method: "POST", body, headers: { Accept: "application/json" },
      });
      const data = await response.json().catch(() => null);
      if (!response.ok) {
        const code = (data && data.code) || (response.status === 429 ? "rate_limited" : "");
        throw new Error(ERRORS[code] ? t(ERRORS[code]) : t("Something went wrong. Please try again."));
      }
      $("notify-form").hidden = true;
      const done = $("notify-done");
      done.textContent = data.message;
      done.hidden = false;
      done.setAttribute("tabindex", "-1");
      done.focus();
    } catch (error) {
      showError(error.message);
    } finally {
      button.disabled = false;
      button.textContent = t("Email me");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const section = $("notify");
    if (!section) return;
    $("notify-form").addEventListener("submit", (event) => {
      event.preventDefault();
      subscribe(section);
    });
  });
})();
