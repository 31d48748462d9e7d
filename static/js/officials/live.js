// Live figures: re-fetch this page every few seconds and swap in the figures.
// A "Pause updates" button stops it (WCAG 2.2.2: moving content can be paused).
// Its texts come from the page (#live-messages), so they are in the page's language.
(() => {
  "use strict";
  const live = document.getElementById("live");
  if (!live) return;

  function message(key, values = {}) {
    const el = document.querySelector(`#live-messages [data-key="${key}"]`);
    let text = el ? el.textContent.trim() : key;
    for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
    return text;
  }
  const seconds = Math.max(5, Number(live.dataset.refresh) || 30);
  let paused = false;
  let timer = null;

  function controls() {
    return {
      toggle: document.getElementById("refresh-toggle"),
      state: document.getElementById("refresh-state"),
    };
  }

  /** Show the button and the state line; listen once per button (a refresh brings a new one). */
  function bind() {
    const { toggle, state } = controls();
    if (!toggle) return;
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", String(paused));
    toggle.textContent = message(paused ? "resume" : "pause");
    if (state) state.textContent = paused ? message("paused") : message("every", { seconds });
    if (toggle.dataset.bound) return;
    toggle.dataset.bound = "yes";
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
        const time = new Date().toLocaleTimeString(document.documentElement.lang || undefined);
        if (state) state.textContent = message("updated", { time });
      }
    } catch (error) {
      const { state } = controls();
      if (state) state.textContent = message("failed", { reason: error.message });
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
