// The guest page (issue 14): one button, a consent sheet, the selfie shrunk on the phone and sent
// with its upload progress, the results (kept in this tab across reload, Back and the language
// switch), "find more" with another selfie, "not me", and a gallery event's photos.
// What is kept is what the server handed out (signed photo links): never a selfie.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const $ = (id) => document.getElementById(id);
  const strings = JSON.parse($("strings").textContent);
  const t = (text) => strings[text] || text;
  const form = $("search-form");
  const slug = form.dataset.slug;
  const maxSelfies = Number(form.dataset.maxSelfies);
  const maxBytes = Number(form.dataset.maxMb) * 1024 * 1024;
  const input = $("selfie-input");
  // a selfie's face is hundreds of pixels wide at this size; a 12 MP phone photo of 3.6 MB goes up
  // as ~175 KB (1600 px: ~265 KB, 1.8 s more at 400 kbit/s; benchmarks/guest_phone.py)
  const SELFIE_PX = 1280;
  const SELFIE_QUALITY = 0.85;
  const KEPT = `eventface:${slug}`;
  const HIDDEN = `eventface:${slug}:hidden`;  // "not me": kept on the device, across visits
  const KEPT_MS = 20 * 3600 * 1000;  // photo links live 24 h (EVENTFACE_PHOTO_LINK_HOURS)
  const EAGER = 6;  // the first row or two load at once, the rest as they scroll in
  const NOTES = {
    no_face: "No face found in this selfie: try one facing the camera, in good light.",
    many_faces: "More than one face in this selfie: the largest one was used.",
    unreadable: "This file could not be read as a photo.",
    too_large: "This file is too large.",
    // a face too poor to be relied on (services/search.py SELFIE_FAULTS): what to change
    face_too_small: "Your face is small in this selfie: one taken closer to the camera finds more of your photos.",
    face_blurry: "This selfie is blurry: one held still, facing the camera, in more light finds more of your photos.",
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

  // --- what this tab keeps ------------------------------------------------------------------------
  // mine: the guest's own results {matches, selfies, zip, used}; person: "more photos of this person"
  let kept = { mine: null, person: null, consented: false };
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEPT) || "null");
    if (saved && Date.now() - saved.at < KEPT_MS) kept = saved;
  } catch (_) { /* an old or altered value: start afresh */ }
  let hidden = new Set();
  try { hidden = new Set(JSON.parse(localStorage.getItem(HIDDEN) || "[]")); } catch (_) { /* as above */ }

  function keep() {
    try { sessionStorage.setItem(KEPT, JSON.stringify({ ...kept, at: Date.now() })); } catch (_) { /* full or off */ }
  }
  function keepHidden() {
    try { localStorage.setItem(HIDDEN, JSON.stringify([...hidden])); } catch (_) { /* full or off */ }
  }

  const viewer = createViewer({ t, slug, onFaceSearch: searchByFace, onNotMe: notMe });  // viewer.js

  function view() {
    return history.state && history.state.view === "person" && kept.person ? "person" : "mine";
  }

  function visible(result, which) {
    return which === "mine" ? result.matches.filter((m) => !hidden.has(m.photo_id)) : result.matches;
  }

  // --- the results ----------------------------------------------------------------------------
  function card(photo, index, list, which) {
    const item = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "thumb";
    open.setAttribute("aria-label", `${t("Photo")} ${index + 1}: ${photo.name}`);
    const img = document.createElement("img");
    img.alt = photo.name;
    img.decoding = "async";
    if (index >= EAGER) img.loading = "lazy";
    // two sizes: the grid's 480 px thumbnail, the 1600 px preview for wide, dense screens
    img.sizes = "(min-width: 720px) 200px, 34vw";
    img.srcset = `${photo.thumbnail_url} 480w, ${photo.preview_url} 1600w`;
    img.src = photo.thumbnail_url;
    if (photo.focus) img.style.objectPosition = `${photo.focus[0] * 100}% ${photo.focus[1] * 100}%`;
    open.append(img);
    open.addEventListener("click", () => viewer.open(list, index, { notMe: which === "mine" }));
    item.append(open);
    return item;
  }

  function render({ focus = false } = {}) {
    const which = view();
    const result = which === "person" ? kept.person : kept.mine;
    // the form folds away once there are photos (a refused selfie keeps it, to try another)
    $("search-panel").hidden = Boolean(kept.mine && kept.mine.matches.length);
    $("results").hidden = !result;
    if (!result) return;
    const list = visible(result, which);
    $("results-title").textContent = which === "person" ? t("Photos of the person you chose") : t("Your photos");
    $("results-count").textContent = I18N.count(t("{n} photos found"), list.length);
    $("result-grid").replaceChildren(...list.map((photo, i) => card(photo, i, list, which)));
    $("no-results").hidden = list.length > 0;
    const all = $("download-all");
    all.hidden = !result.zip || list.length === 0;
    all.href = result.zip || "#";
    $("back-to-mine").hidden = which !== "person" || !kept.mine;
    // with nothing found the big button above is the way to try again
    const refused = result.matches.length === 0;
    $("find-more").hidden = which !== "mine" || refused || result.used >= maxSelfies;
    $("start-over").hidden = which !== "mine" || refused;
    const hiddenHere = which === "mine" ? result.matches.length - list.length : 0;
    $("show-hidden").hidden = hiddenHere === 0;
    $("show-hidden").textContent = t("{count} hidden: show them").replace("{count}", String(hiddenHere));
    showSelfieNotes(which === "mine" ? result.selfies : []);
    if (focus) {
      // on a phone the results start below the hero: bring them up, and tell screen readers
      $("results").scrollIntoView({ block: "start" });
      $("results-title").focus({ preventScroll: true });
    }
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

  function tokenOf(photo) {
    return photo.thumbnail_url.split("/")[4];  // /e/{slug}/p/{token}/thumb
  }

  // the ZIP of what the guest kept: several searches' photos, less the hidden ones
  async function refreshZip() {
    const mine = kept.mine;
    const list = mine ? visible(mine, "mine") : [];
    if (!mine || list.length === 0) return;
    try {
      const response = await fetch(`/api/e/${slug}/zip`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ photos: list.map(tokenOf) }),
      });
      if (!response.ok) return;
      mine.zip = (await response.json()).download_all_url;
      keep();
      if (view() === "mine") render();
    } catch (_) { /* offline: the single photos still download */ }
  }

  function notMe(photo) {
    hidden.add(photo.photo_id);
    keepHidden();
    render();
    refreshZip();
  }

  $("show-hidden").addEventListener("click", () => {
    for (const m of kept.mine.matches) hidden.delete(m.photo_id);
    keepHidden();
    render();
    refreshZip();
  });

  // --- the steps of a search ------------------------------------------------------------------------
  function showError(message) {
    $("form-error").textContent = message || "";
    $("form-error").hidden = !message;
  }

  function step(text, percent) {
    $("search-progress").hidden = false;
    $("search-step").textContent = text;
    $("search-bar").value = percent;
  }

  function endSteps() {
    $("search-progress").hidden = true;
    const selfie = $("search-selfie");
    if (selfie.src) URL.revokeObjectURL(selfie.src);
    selfie.removeAttribute("src");
    selfie.hidden = true;
    $("find-button").disabled = false;
    $("find-more").disabled = false;
  }

  // the selfie, upright (EXIF orientation applied) and at most SELFIE_PX, as a JPEG. What the
  // browser cannot decode (HEIC on most desktops) goes as it is: the server reads it.
  async function shrink(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (_) {
      return file;
    }
    const scale = Math.min(1, SELFIE_PX / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", SELFIE_QUALITY));
    canvas.width = canvas.height = 0;  // gives the pixels back at once (phones hold few canvases)
    return blob && blob.size < file.size ? blob : file;
  }

  function apiError(status, data, retryAfter) {
    const code = (data && data.code) || (status === 429 ? "rate_limited" : "");
    const detail = data && typeof data.detail === "string" && data.detail;
    // a code the page has no text of its own for: the shared text for it (static/i18n.js)
    const text = ERRORS[code] ? t(ERRORS[code]) : code ? I18N.errorText(code, detail) : "";
    const error = new Error(text || t("The search failed. Please try again."));
    error.selfies = data && Array.isArray(data.selfies) ? data.selfies : null;  // why each selfie was refused
    // the server's queue of searches is full: it says when to come back (web/limits.py)
    const seconds = Number(retryAfter);
    error.retryAfter = status === 503 && seconds > 0 ? seconds : 0;
    return error;
  }

  // XMLHttpRequest, not fetch: only it reports the upload's progress
  function post(url, body, onUpload) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      if (onUpload) {
        xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onUpload(e.loaded / e.total); });
        xhr.upload.addEventListener("load", () => onUpload(1));
      }
      xhr.addEventListener("load", () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(apiError(xhr.status, data, xhr.getResponseHeader("Retry-After")));
      });
      xhr.addEventListener("error", () => reject(new Error(t("The connection was lost. Please try again."))));
      xhr.send(body);
    });
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

  async function postPatiently(url, body, onUpload) {
    for (let waits = 0; ; waits += 1) {
      try {
        return await post(url, body, onUpload);
      } catch (error) {
        if (!error.retryAfter || waits >= MAX_WAITS) throw error;
        await waitToRetry(error.retryAfter);
      }
    }
  }

  // a later selfie's photos join the earlier ones', best match first
  function merge(old, found, used) {
    if (!old || old.matches.length === 0) return { matches: found.matches, selfies: found.selfies, zip: found.download_all_url, used };
    const byId = new Map(old.matches.map((m) => [m.photo_id, m]));
    for (const m of found.matches) {
      const had = byId.get(m.photo_id);
      if (!had || m.distance < had.distance) byId.set(m.photo_id, m);
    }
    return {
      matches: [...byId.values()].sort((a, b) => a.distance - b.distance),
      selfies: [...old.selfies, ...found.selfies],
      zip: null,  // made for the union by refreshZip
      used: old.used + used,
    };
  }

  // the first result photo on the screen ends the steps (and is what benchmarks/guest_phone.py times)
  function whenFirstShown() {
    const first = $("result-grid").querySelector("img");
    const done = () => { performance.mark("eventface:first-result"); endSteps(); };
    if (!first || (first.complete && first.naturalWidth > 0)) { done(); return; }
    first.addEventListener("load", done, { once: true });
    first.addEventListener("error", endSteps, { once: true });
  }

  let searched = [];  // this visit's selfies, as sent (shrunk): for static/notify.js only

  async function searchWith(files) {
    performance.mark("eventface:selfie-chosen");
    showError("");
    const used = kept.mine ? kept.mine.used : 0;
    const chosen = files.slice(0, Math.max(0, maxSelfies - used));
    if (chosen.length < files.length) showError(t("At most 3 selfies."));
    if (chosen.length === 0) return;
    $("find-button").disabled = true;
    $("find-more").disabled = true;
    $("search-panel").hidden = false;
    $("search-panel").scrollIntoView({ block: "nearest" });
    step(t("Preparing your selfie…"), 3);
    const selfies = await Promise.all(chosen.map(shrink));
    if (selfies.some((s) => s.size > maxBytes)) {
      endSteps();
      showError(t("This file is too large."));
      render();
      return;
    }
    const preview = $("search-selfie");
    preview.src = URL.createObjectURL(selfies[0]);
    preview.hidden = false;
    const body = new FormData();
    body.append("consent", "true");
    selfies.forEach((s, i) => body.append("selfies", s, `selfie-${i + 1}.jpg`));
    const uploading = (done) => {
      if (done < 1) {
        step(t("Uploading your selfie… {percent} %").replace("{percent}", String(Math.round(done * 100))), 5 + 75 * done);
      } else {
        step(t("Finding your face…"), 85);
      }
    };
    uploading(0);
    try {
      const found = await postPatiently(`/api/e/${slug}/search`, body, uploading);
      step(t("Loading your photos…"), 95);
      const first = !kept.mine || kept.mine.matches.length === 0;
      kept.mine = merge(kept.mine, found, chosen.length);
      // the offer of emails about new photos (static/notify.js) sends these again if asked;
      // they live in this page's memory only, never in the tab's storage
      searched = [...searched, ...selfies].slice(0, maxSelfies);
      document.dispatchEvent(new CustomEvent("eventface:searched", { detail: { selfies: searched } }));
      kept.person = null;
      keep();
      if (history.state && history.state.view === "person") history.replaceState(null, "", location.pathname + location.search);
      render({ focus: true });
      whenFirstShown();
      if (!first) refreshZip();
    } catch (error) {
      endSteps();
      showError(error.message);
      // none of the selfies could be used: the empty results say why, selfie by selfie
      if (error.selfies && !kept.mine) {
        kept.mine = { matches: [], selfies: error.selfies, zip: null, used: 0 };
        keep();
        render({ focus: true });
      } else {
        render();
      }
      $("search-panel").hidden = false;  // the reason next to the button, to try again
    }
  }

  async function searchByFace(url) {
    try {
      const found = await postPatiently(url, null);
      kept.person = { matches: found.matches, selfies: [], zip: found.download_all_url, used: 0 };
      keep();
      // the viewer turned its history entry into the person's (viewer.js); else one is added
      if (!(history.state && history.state.view === "person")) history.pushState({ view: "person" }, "", "#person");
      render({ focus: true });
    } catch (error) {
      showError(error.message);
      $("search-panel").hidden = false;
    }
  }

  // --- consent, then the picker ---------------------------------------------------------------------
  const sheet = $("consent-sheet");
  const consent = $("consent");

  function pickSelfie() {
    if (!kept.consented) {
      $("consent-error").hidden = true;
      consent.checked = false;
      sheet.showModal();
      return;
    }
    input.click();
  }

  $("find-button").addEventListener("click", pickSelfie);
  $("find-more").addEventListener("click", pickSelfie);
  $("consent-cancel").addEventListener("click", () => sheet.close());
  consent.addEventListener("change", () => { $("consent-error").hidden = true; });
  $("consent-continue").addEventListener("click", () => {
    if (!consent.checked) {
      $("consent-error").textContent = t("Please give your consent first.");
      $("consent-error").hidden = false;
      consent.focus();
      return;
    }
    kept.consented = true;
    keep();
    sheet.close();
    input.click();  // still within the guest's tap: the browser lets the picker open
  });

  // the search starts as soon as a selfie is chosen
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";  // the same file may be chosen again
    if (files.length) searchWith(files);
  });

  $("back-to-mine").addEventListener("click", () => {
    if (history.state && history.state.view === "person") history.back();
    else { kept.person = null; keep(); render(); }
  });
  $("start-over").addEventListener("click", () => {
    kept = { mine: null, person: null, consented: kept.consented };
    searched = [];
    document.dispatchEvent(new CustomEvent("eventface:cleared"));
    keep();
    showError("");
    history.replaceState(null, "", location.pathname + location.search);
    render();
    $("find-button").focus();
  });
  window.addEventListener("popstate", () => render());

  // a gallery event's photos, rendered by the server: the same fields as a search's matches
  const galleryButtons = [...document.querySelectorAll("#gallery-grid button.thumb")];
  const gallery = galleryButtons.map((button) => ({
    name: button.dataset.name,
    thumbnail_url: button.dataset.thumb,
    preview_url: button.dataset.preview,
    web_url: button.dataset.web,
    download_url: button.dataset.download,
    faces_url: button.dataset.faces,
    focus: button.dataset.focus ? button.dataset.focus.split(",").map(Number) : null,
  }));
  // cropped around the photo's main face, as a search's results are around the guest's
  galleryButtons.forEach((button, index) => {
    const focus = gallery[index].focus;
    if (focus) button.querySelector("img").style.objectPosition = `${focus[0] * 100}% ${focus[1] * 100}%`;
  });
  galleryButtons.forEach((button, index) => button.addEventListener("click", () => viewer.open(gallery, index)));

  // the guest's place, back after a reload or the language switch: results, and the open photo
  render();
  const photo = /^#photo-(\d+)$/.exec(location.hash);
  const result = view() === "person" ? kept.person : kept.mine;
  if (photo && result && history.state && history.state.viewer !== undefined) {
    const list = visible(result, view());
    const index = Number(photo[1]) - 1;
    if (index >= 0 && index < list.length) viewer.open(list, index, { notMe: view() === "mine", fromHistory: true });
  } else if (photo) {
    history.replaceState(null, "", location.pathname + location.search);
  }
});
