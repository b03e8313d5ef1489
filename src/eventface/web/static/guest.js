// The guest page: consent, 1-3 selfies with previews, search, results, lightbox, "more of this person",
// and a gallery event's photos. Every photo, face and ZIP URL is a signed link the server handed out.
// Selfies go straight from the file input to the search request; nothing is kept in the browser either.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const $ = (id) => document.getElementById(id);
  const strings = JSON.parse($("strings").textContent);
  const t = (text) => strings[text] || text;
  const form = $("search-form");
  const slug = form.dataset.slug;
  // a gallery event's photos, rendered by the server: the same fields as a search's matches
  const gallery = [...document.querySelectorAll("#gallery-grid button.thumb")].map((button) => ({
    name: button.dataset.name,
    preview_url: button.dataset.preview,
    download_url: button.dataset.download,
    faces_url: button.dataset.faces,
  }));
  const maxSelfies = Number(form.dataset.maxSelfies);
  const maxBytes = Number(form.dataset.maxMb) * 1024 * 1024;
  const input = $("selfie-input");
  const NOTES = {
    no_face: "No face found in this selfie: try one facing the camera, in good light.",
    many_faces: "More than one face in this selfie: the largest one was used.",
    unreadable: "This file could not be read as a photo.",
    too_large: "This file is too large.",
  };
  // what the page says for an error code of the API (web/errors.py), in the guest's language
  const ERRORS = {
    rate_limited: "Too many searches: please wait a minute and try again.",
    no_usable_selfie: "None of your selfies could be used.",
    busy: "The server is busy right now. Please try again in a moment.",
    too_large: "This file is too large.",
    unsupported_media_type: "This file could not be read as a photo.",
    timeout: "The request took too long. Please try again.",
  };
  let selfies = [];  // File objects, in memory only
  let matches = [];  // the search's results
  let shown = [];  // what the lightbox steps through: the results or the gallery
  let current = -1;

  function showError(message) {
    const box = $("form-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function renderPreviews() {
    const list = $("previews");
    for (const img of list.querySelectorAll("img")) URL.revokeObjectURL(img.src);
    list.replaceChildren(...selfies.map((file, i) => {
      const item = document.createElement("li");
      const img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = `${t("Selfie")} ${i + 1}`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "✕";
      remove.setAttribute("aria-label", `${t("Remove")} ${t("Selfie")} ${i + 1}`);
      remove.addEventListener("click", () => { selfies.splice(i, 1); renderPreviews(); input.focus(); });
      item.append(img, remove);
      return item;
    }));
    $("selfie-label").hidden = selfies.length >= maxSelfies;
  }

  $("consent").addEventListener("change", () => $("consent-box").classList.remove("invalid"));

  input.addEventListener("change", () => {
    showError("");
    for (const file of input.files) {
      if (selfies.length >= maxSelfies) { showError(t("At most 3 selfies.")); break; }
      if (file.size > maxBytes) { showError(t("This file is too large.")); continue; }
      selfies.push(file);
    }
    input.value = "";  // the same file may be chosen again after removing it
    renderPreviews();
  });

  function card(match, index) {
    const item = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "thumb";
    open.setAttribute("aria-label", `${t("Photo")} ${index + 1}: ${match.name}`);
    const img = document.createElement("img");
    img.src = match.thumbnail_url;
    img.alt = match.name;
    img.loading = "lazy";
    open.append(img);
    open.addEventListener("click", () => openLightbox(matches, index));
    const download = document.createElement("a");
    download.className = "button dl";
    download.href = match.download_url;
    download.setAttribute("download", match.name);
    download.setAttribute("aria-label", `⬇ ${match.name}`);
    download.textContent = "⬇";
    item.append(open, download);
    return item;
  }

  function showResults(result, title) {
    matches = result.matches;
    $("results").hidden = false;
    $("results-title").textContent = title;
    $("results-count").textContent = I18N.count(t("{n} photos found"), matches.length);
    $("result-grid").replaceChildren(...matches.map(card));
    $("no-results").hidden = matches.length > 0;
    const all = $("download-all");
    all.hidden = !result.download_all_url;
    all.href = result.download_all_url || "#";
    showSelfieNotes(result.selfies);
    // on a phone the results start below the fold: bring them up, then move focus for screen readers
    $("results").scrollIntoView({ block: "start" });
    $("results-title").focus({ preventScroll: true });
  }

  function showSelfieNotes(reports) {
    $("selfie-notes").replaceChildren(...(reports || [])
      .map((s, i) => [s, i]).filter(([s]) => s.code !== "ok")
      .map(([s, i]) => {
        const note = document.createElement("li");
        note.textContent = `${t("Selfie")} ${i + 1}: ${NOTES[s.code] ? t(NOTES[s.code]) : s.message}`;
        return note;
      }));
  }

  async function post(url, body) {
    const response = await fetch(url, { method: "POST", body, headers: { Accept: "application/json" } });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const code = (data && data.code) || (response.status === 429 ? "rate_limited" : "");
      const detail = data && typeof data.detail === "string" && data.detail;
      // a code the page has no text of its own for: the shared text for it (static/i18n.js)
      const text = ERRORS[code] ? t(ERRORS[code]) : code ? I18N.errorText(code, detail) : "";
      const error = new Error(text || t("The search failed. Please try again."));
      error.selfies = data && Array.isArray(data.selfies) ? data.selfies : null;  // why each selfie was refused
      // the server's queue of searches is full: it says when to come back (web/limits.py)
      const retryAfter = Number(response.headers.get("Retry-After"));
      error.retryAfter = response.status === 503 && retryAfter > 0 ? retryAfter : 0;
      throw error;
    }
    return data;
  }

  const MAX_WAITS = 30;  // a crowd's storm passes in minutes; after that the guest decides
  const waitNote = $("search-wait");

  // "Many guests are searching, trying again in N s", counted down, then the same request again;
  // a second of jitter so that a crowd turned away together does not come back together
  function waitToRetry(seconds) {
    const until = Date.now() + (seconds + Math.random()) * 1000;
    return new Promise((resolve) => {
      const tick = () => {
        const left = Math.ceil((until - Date.now()) / 1000);
        if (left <= 0) { waitNote.hidden = true; resolve(); return; }
        waitNote.textContent = t("Many guests are searching right now: trying again in {seconds} s…")
          .replace("{seconds}", String(left));
        waitNote.hidden = false;
        setTimeout(tick, Math.min(1000, until - Date.now()));
      };
      tick();
    });
  }

  async function postPatiently(url, body) {
    for (let waits = 0; ; waits += 1) {
      try {
        return await post(url, body);
      } catch (error) {
        if (!error.retryAfter || waits >= MAX_WAITS) throw error;
        await waitToRetry(error.retryAfter);
      }
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!$("consent").checked) {
      showError(t("Please give your consent first."));
      $("consent-box").classList.add("invalid");
      $("consent").focus();
      return;
    }
    if (selfies.length === 0) { showError(t("Please add a selfie first.")); input.focus(); return; }
    showError("");
    const button = $("find-button");
    button.disabled = true;
    button.textContent = t("Searching…");
    const body = new FormData();
    body.append("consent", "true");
    for (const file of selfies) body.append("selfies", file, file.name || "selfie.jpg");
    try {
      showResults(await postPatiently(`/api/e/${slug}/search`, body), t("Your photos"));
      $("start-over").hidden = true;
    } catch (error) {
      showError(error.message);
      // none of the selfies could be used: the empty results say why, selfie by selfie
      if (error.selfies) showResults({ matches: [], selfies: error.selfies, download_all_url: null }, t("Your photos"));
    } finally {
      button.disabled = false;
      button.textContent = t("Find my photos");
    }
  });

  $("start-over").addEventListener("click", () => form.requestSubmit());

  // lightbox
  const dialog = $("lightbox");
  const image = $("lightbox-image");

  async function showFaces(match) {
    const layer = $("face-layer");
    layer.replaceChildren();
    let faces = [];
    try {
      const response = await fetch(match.faces_url);
      if (response.ok) faces = await response.json();
    } catch (_) { return; }
    if (shown[current] !== match) return;  // the guest moved on meanwhile
    layer.replaceChildren(...faces.map((face) => {
      const box = document.createElement("button");
      box.type = "button";
      box.style.left = `${face.left * 100}%`;
      box.style.top = `${face.top * 100}%`;
      box.style.width = `${face.width * 100}%`;
      box.style.height = `${face.height * 100}%`;
      box.setAttribute("aria-label", t("More photos of this person"));
      box.title = t("More photos of this person");
      box.addEventListener("click", () => searchByFace(face.search_url));
      return box;
    }));
  }

  function openLightbox(list, index) {
    shown = list;
    current = index;
    const match = shown[index];
    image.src = match.preview_url;
    image.alt = match.name;
    $("lightbox-download").href = match.download_url;
    $("lightbox-download").setAttribute("download", match.name);
    $("lightbox-prev").disabled = index === 0;
    $("lightbox-next").disabled = index === shown.length - 1;
    if (!dialog.open) dialog.showModal();
    showFaces(match);
  }

  async function searchByFace(url) {
    dialog.close();
    try {
      const result = await postPatiently(url, null);
      showResults(result, t("Photos of the person you chose"));
      $("start-over").hidden = selfies.length === 0;
    } catch (error) {
      showError(error.message);
    }
  }

  $("lightbox-close").addEventListener("click", () => dialog.close());
  $("lightbox-prev").addEventListener("click", () => current > 0 && openLightbox(shown, current - 1));
  $("lightbox-next").addEventListener("click", () => current < shown.length - 1 && openLightbox(shown, current + 1));
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" && current > 0) openLightbox(shown, current - 1);
    if (event.key === "ArrowRight" && current < shown.length - 1) openLightbox(shown, current + 1);
  });
  document.querySelectorAll("#gallery-grid button.thumb").forEach((button, index) => {
    button.addEventListener("click", () => openLightbox(gallery, index));
  });
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener("close", () => { image.removeAttribute("src"); $("face-layer").replaceChildren(); });
});
