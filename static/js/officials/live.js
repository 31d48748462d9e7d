// Live figures: re-fetch this page every few seconds and swap in the figures.
// A "Pause updates" button stops it (WCAG 2.2.2: moving content can be paused).
(() => {
  "use strict";
  const live = document.getElementById("live");
  if (!live) return;
  const seconds = Math.max(5, Number(live.dataset.refresh) || 30);
  let paused = false;
  let timer = null;

  function controls() {
    return {
      toggle: document.getElementById("refresh-toggle"),
      state: document.getElementById("refresh-state"),
    };
  }

  function bind() {
    const { toggle, state } = controls();
    if (!toggle) return;
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", String(paused));
    toggle.textContent = paused ? "Resume updates" : "Pause updates";
    if (state) state.textContent = paused ? "Updates paused." : `Updates every ${seconds} s.`;
    toggle.addEventListener("click", () => {
      paused = !paused;
      bind();
      schedule();
    });
  }

  async function refresh() {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("live");
      if (fresh) {
        live.innerHTML = fresh.innerHTML;
        bind();
        const { state } = controls();
        if (state) state.textContent = `Updated at ${new Date().toLocaleTimeString()}.`;
      }
    } catch (error) {
      const { state } = controls();
      if (state) state.textContent = `Could not update (${error.message}); retrying.`;
    }
    schedule();
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = paused ? null : setTimeout(refresh, seconds * 1000);
  }

  bind();
  schedule();
})();
