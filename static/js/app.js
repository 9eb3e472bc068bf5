// Behaviour that the templates once wrote inline (onsubmit=, onchange=, onclick=): the
// Content-Security-Policy runs no inline script. Every page loads this one file.
"use strict";

// <form data-confirm="Question?">: ask before submitting; Cancel keeps the page as it is.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined) {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }
}, true);

// <select data-submit-on-change>: submit its form as soon as a choice is made.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-submit-on-change]") && field.form) {
    field.form.submit();
  }
});

// <button data-print>: open the browser's print dialog.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});

// <select data-filters="dataset"> of models: offer only the data sets (<option data-features>)
// with as many features as the chosen model has inputs (<option data-inputs>).
function filterDatasets(modelSelect) {
  const form = modelSelect.form;
  const target = form && form.elements.namedItem(modelSelect.dataset.filters);
  if (!(target instanceof HTMLSelectElement)) return;
  const chosen = modelSelect.selectedOptions[0];
  const inputs = chosen ? chosen.dataset.inputs : undefined;
  for (const option of target.options) {
    if (option.dataset.features === undefined) continue;
    const fits = inputs === undefined || option.dataset.features === inputs;
    option.hidden = !fits;
    option.disabled = !fits;
    if (!fits && option.selected) target.value = "";
  }
}
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.dataset.filters) filterDatasets(field);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-filters]").forEach(filterDatasets);
});
document.addEventListener("htmx:afterSettle", () => {
  document.querySelectorAll("select[data-filters]").forEach(filterDatasets);
});

// <input data-search-url list=...>: suggest matching rows as one types (a small JSON list
// from the server, scoped to the user); the field also accepts an id or an exact name.
let searchTimer;
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.dataset.searchUrl) return;
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const url = new URL(field.dataset.searchUrl, window.location.href);
    url.searchParams.set("q", field.value);
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const list = field.list;
    if (!list) return;
    list.replaceChildren(...(await response.json()).results.map((row) => {
      const option = document.createElement("option");
      option.value = row.label;
      return option;
    }));
  }, 200);
});
