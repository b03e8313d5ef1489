// The event page's live parts: the event's totals and indexing progress (short polling), and auto-sync.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("event");
  const eventId = root.dataset.eventId;
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const t = (text) => strings[text] || text;
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 1000;
  let wasRunning = false;
  let timer = null;
  const schedule = (ms) => { clearTimeout(timer); timer = setTimeout(pollTask, ms); };

  function showTask(task) {
    $("progress").hidden = false;
    $("index-progress").value = task.percent;
    const state = $("index-state");
    state.textContent = t(task.status);
    state.className = `badge status-${task.status}`;
    $("index-counts").textContent =
      `${I18N.count(t("{done}/{n} photos indexed"), task.total, { done: task.done })} · ${I18N.count(t("{n} faces found"), task.faces)} · ${I18N.count(t("{n} failed photos"), task.failed)}`;
    $("index-percent").textContent = `(${task.percent} %)`;
    const list = $("failure-list");
    list.replaceChildren(...task.failures.map((f) => {
      const item = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = f.name;
      item.append(name, `: ${f.error || ""}`);
      return item;
    }));
    $("failures").hidden = task.failures.length === 0;
  }

  function showTotals(progress) {
    // the event's own totals, live while a run indexes (the run's numbers are shown apart)
    for (const key of ["photos", "faces", "pending", "failed"]) $(`${key}-total`).textContent = progress[key];
  }

  async function pollTask() {
    let progress;
    try {
      // never a 404, even before the first run: a never-indexed event has `task: null`
      progress = await apiFetch(`/api/event/${eventId}/progress`);
    } catch (_) {
      schedule(5 * POLL_MS);  // the server restarts
      return;
    }
    showTotals(progress);
    const task = progress.task;
    if (!task) {
      schedule(10 * POLL_MS);  // an auto-sync may start the first run
      return;
    }
    $("never-indexed").hidden = true;
    showTask(task);
    const running = task.status === "queued" || task.status === "running";
    $("start-indexing").disabled = running;
    if (running) {
      wasRunning = true;
      schedule(POLL_MS);
    } else if (wasRunning) {
      // the photo grid is rendered by the server: show the finished state
      window.location.reload();
    } else {
      schedule(10 * POLL_MS);  // an auto-sync may start a new run
    }
  }

  $("index-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("start-indexing").disabled = true;
    try {
      showTask(await apiFetch(`/api/event/${eventId}/index`, { method: "POST" }));
      wasRunning = true;
      schedule(POLL_MS);
    } catch (error) {
      $("start-indexing").disabled = false;
      alert(error.message);
    }
  });

  // auto-sync: the seed-compatible API
  const toggle = $("auto-sync-enabled");
  const interval = $("auto-sync-interval");

  function showSync(status) {
    toggle.checked = status.enabled;
    const when = (iso) => (iso ? I18N.date(iso, "time") : null);
    $("sync-last").textContent = status.running ? t("Syncing now") : when(status.last_sync_at) || t("never");
    $("sync-next").textContent = (status.enabled && when(status.next_sync_at)) || "–";
    const error = $("sync-error");
    // a refused Google account has its own warning box, with the way out
    error.hidden = !status.last_error || Boolean(status.reconnect_needed) || Boolean($("reconnect-warning"));
    error.querySelector("span").textContent = status.last_error || "";
    if (status.running && !wasRunning) { wasRunning = true; schedule(0); }
  }

  async function refreshSync() {
    try { showSync(await apiFetch(`/api/event/${eventId}/auto-sync/status`)); } catch (_) { /* try again */ }
  }

  async function applySync() {
    toggle.disabled = interval.disabled = true;
    try {
      if (toggle.checked) {
        await apiFetch(`/api/event/${eventId}/auto-sync/enable`, {
          method: "POST", json: { interval_minutes: Number(interval.value) },
        });
      } else {
        await apiFetch(`/api/event/${eventId}/auto-sync/disable`, { method: "POST" });
      }
    } catch (error) {
      alert(error.message);
    } finally {
      toggle.disabled = interval.disabled = false;
      refreshSync();
    }
  }

  // a thumbnail that cannot be made (the file changed, the folder is offline): a placeholder, not a broken image
  document.addEventListener("error", (event) => {
    const img = event.target;
    if (!(img instanceof HTMLImageElement) || !img.closest("#photo-grid, #removal-requests, #branding")) return;
    const box = document.createElement("span");
    box.className = "placeholder";
    box.textContent = t("Preview unavailable");
    box.title = img.alt;
    img.replaceWith(box);
  }, true);

  toggle.addEventListener("change", applySync);
  interval.addEventListener("change", () => { if (toggle.checked) applySync(); });
  refreshSync();
  setInterval(refreshSync, 5000);
  schedule(0);
});
