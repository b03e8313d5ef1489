// The guest's photo viewer (a full-screen <dialog>): swipe or arrow keys, "2 / 6", face boxes behind
// a toggle (a face: "more photos of this person"), save, share, "not me" and "report".
// It owns one history entry while open, so the phone's Back button closes it (issue 14).
"use strict";

// eslint-disable-next-line no-unused-vars
function createViewer({ t, slug, onFaceSearch, onNotMe }) {
  const $ = (id) => document.getElementById(id);
  const dialog = $("lightbox");
  const image = $("lightbox-image");
  const layer = $("face-layer");
  const toggle = $("faces-toggle");
  const status = $("lightbox-status");
  const SWIPE_PX = 40;
  let list = [];
  let current = -1;
  let allowNotMe = false;
  let showFaces = false;
  let goingTo = null;  // set while a face search replaces the viewer's history entry

  function say(message) {
    status.textContent = message || "";
    status.hidden = !message;
  }

  function tokenOf(photo) {
    return photo.preview_url.split("/")[4];  // /e/{slug}/p/{token}/preview
  }

  function show(index) {
    current = index;
    const photo = list[index];
    // no stale boxes: the old photo's faces go before its pixels do, the new ones come after both load
    layer.replaceChildren();
    layer.hidden = true;
    image.removeAttribute("src");
    image.alt = photo.name;
    image.src = photo.preview_url;
    $("lightbox-counter").textContent = `${index + 1} / ${list.length}`;
    $("lightbox-prev").disabled = index === 0;
    $("lightbox-next").disabled = index === list.length - 1;
    const save = $("lightbox-save");
    save.href = photo.web_url;
    save.setAttribute("download", photo.name.replace(/\.[^.]*$/, "") + ".jpg");
    $("lightbox-download").href = photo.download_url;
    $("lightbox-download").setAttribute("download", photo.name);
    $("lightbox-not-me").hidden = !allowNotMe;
    say("");
    // the next photo is fetched meanwhile: a swipe shows it at once
    if (index + 1 < list.length) new Image().src = list[index + 1].preview_url;
    if (history.state && history.state.viewer !== undefined) {
      history.replaceState({ ...history.state, viewer: index }, "", `#photo-${index + 1}`);
    }
    loadFaces(photo);
  }

  async function loadFaces(photo) {
    let faces = [];
    const loaded = image.complete && image.naturalWidth > 0
      ? Promise.resolve()
      : new Promise((resolve) => image.addEventListener("load", resolve, { once: true }));
    try {
      const response = await fetch(photo.faces_url);
      if (response.ok) faces = await response.json();
    } catch (_) { return; }
    await loaded;
    if (list[current] !== photo) return;  // the guest moved on meanwhile
    layer.replaceChildren(...faces.map((face) => {
      const box = document.createElement("button");
      box.type = "button";
      box.style.left = `${face.left * 100}%`;
      box.style.top = `${face.top * 100}%`;
      box.style.width = `${face.width * 100}%`;
      box.style.height = `${face.height * 100}%`;
      box.setAttribute("aria-label", t("More photos of this person"));
      box.title = t("More photos of this person");
      box.addEventListener("click", () => faceSearch(face.search_url));
      return box;
    }));
    layer.hidden = !showFaces;
  }

  function faceSearch(url) {
    // the viewer's history entry becomes the person's: Back then returns to the guest's photos
    goingTo = "person";
    dialog.close();
    onFaceSearch(url);
  }

  function open(photos, index, { notMe = false, fromHistory = false } = {}) {
    list = photos;
    allowNotMe = notMe;
    if (!fromHistory) history.pushState({ ...(history.state || {}), viewer: index }, "", `#photo-${index + 1}`);
    if (!dialog.open) dialog.showModal();
    show(index);
  }

  function step(delta) {
    const next = current + delta;
    if (next >= 0 && next < list.length) show(next);
  }

  function setFaces(on) {
    showFaces = on;
    toggle.setAttribute("aria-pressed", String(on));
    $("lightbox-hint").hidden = !on;
    layer.hidden = !on || layer.childElementCount === 0;
  }

  async function share() {
    const photo = list[current];
    const name = photo.name.replace(/\.[^.]*$/, "") + ".jpg";
    try {
      if (navigator.share && navigator.canShare) {
        // the preview on the screen, from the browser's cache: a share must start within the
        // tap's few seconds of user activation, which a 2048 px download on a slow link outlasts
        const response = await fetch(photo.preview_url);
        if (!response.ok) throw new Error(String(response.status));
        const file = new File([await response.blob()], name, { type: "image/jpeg" });
        if (navigator.canShare({ files: [file] })) {
          await navigator.share({ files: [file], title: document.title });
          return;
        }
      }
    } catch (error) {
      if (error && error.name === "AbortError") return;  // the guest closed the share sheet
    }
    // no Web Share with files here (most desktops): the photo is saved instead
    $("lightbox-save").click();
    say(t("Sharing is not available here: the photo was saved instead."));
  }

  // swipe: pointer events, so a mouse drag works as a finger does; vertical moves stay scrolls
  let start = null;
  const stage = $("lightbox-stage");
  const frame = $("lightbox-frame");  // the photo with its face boxes: they move together
  stage.addEventListener("pointerdown", (event) => {
    if (event.target.closest("button")) return;
    start = { x: event.clientX, y: event.clientY };
    stage.setPointerCapture(event.pointerId);  // the end of a swipe that leaves the photo counts too
  });
  // the photo follows the finger sideways, so the guest sees the swipe take
  stage.addEventListener("pointermove", (event) => {
    if (!start) return;
    const dx = event.clientX - start.x;
    if (Math.abs(dx) > Math.abs(event.clientY - start.y)) frame.style.transform = `translateX(${dx}px)`;
  });
  stage.addEventListener("pointerup", (event) => {
    if (!start) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    start = null;
    frame.style.transform = "";
    if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy)) step(dx < 0 ? 1 : -1);
  });
  stage.addEventListener("pointercancel", () => { start = null; frame.style.transform = ""; });

  $("lightbox-close").addEventListener("click", () => dialog.close());
  $("lightbox-prev").addEventListener("click", () => step(-1));
  $("lightbox-next").addEventListener("click", () => step(1));
  toggle.addEventListener("click", () => setFaces(!showFaces));
  $("lightbox-share").addEventListener("click", share);
  $("lightbox-not-me").addEventListener("click", () => {
    const photo = list[current];
    dialog.close();
    onNotMe(photo);
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") step(-1);
    if (event.key === "ArrowRight") step(1);
  });
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener("close", () => {
    image.removeAttribute("src");
    layer.replaceChildren();
    const mine = history.state && history.state.viewer !== undefined;
    if (goingTo) {
      const { viewer, ...rest } = history.state || {};
      history.replaceState({ ...rest, view: goingTo }, "", `#${goingTo}`);
      goingTo = null;
    } else if (mine) {
      history.back();  // closed by its button or Escape: its history entry goes too
    }
  });
  // Back closes the viewer
  window.addEventListener("popstate", () => {
    if (dialog.open && !(history.state && history.state.viewer !== undefined)) dialog.close();
  });

  // "report / remove my photo": the photographer's queue (POST .../removal-request, 202)
  const sheet = $("report-sheet");
  const reportError = $("report-error");
  $("lightbox-report").addEventListener("click", () => {
    reportError.hidden = true;
    $("report-reason").value = "";
    sheet.showModal();
  });
  $("report-cancel").addEventListener("click", () => sheet.close());
  $("report-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData();
    const reason = $("report-reason").value.trim().slice(0, 500);
    if (reason) body.append("reason", reason);
    const send = $("report-send");
    send.disabled = true;
    try {
      const response = await fetch(`/api/e/${slug}/p/${tokenOf(list[current])}/removal-request`, {
        method: "POST", body, headers: { Accept: "application/json" },
      });
      if (response.status === 404 || response.status === 405) throw new Error(t("Reporting is not available for this event."));
      if (!response.ok) throw new Error(t("Could not send it. Please try again."));
      sheet.close();
      say(t("Sent. The photographer will look at it."));
    } catch (error) {
      reportError.textContent = error instanceof TypeError ? t("Could not send it. Please try again.") : error.message;
      reportError.hidden = false;
    } finally {
      send.disabled = false;
    }
  });

  return {
    open,
    get isOpen() { return dialog.open; },
  };
}
