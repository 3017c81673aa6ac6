// Small progressive enhancement; every page works without it.
// - ask before irreversible request actions (forms with data-confirm);
// - stop double submissions: the button is disabled after the form data (with its name/value) is built.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  const button = event.submitter;
  if (button) setTimeout(() => { button.disabled = true; }, 0);
});
// Pages restored from the back/forward cache get their buttons back.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("button[disabled]").forEach((b) => { b.disabled = false; });
});
// A running sweep: its progress fragment is fetched every second; once finished, the page reloads
// to show the results. (Without script, the page refreshes itself.)
const live = document.querySelector("[data-poll]");
if (live) {
  const tick = async () => {
    try {
      const response = await fetch(live.dataset.poll, { credentials: "same-origin" });
      if (response.ok) {
        live.innerHTML = await response.text();
        if (live.querySelector("[data-done]")) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // the server is restarting or the network blinked: try again
    }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}
