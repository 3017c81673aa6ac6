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
