// Adds a row to a Django formset from its <template>; the page works without it too
// (each form has one empty row ready), this only saves a round trip.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".formset-add");
  if (!button) return;
  const prefix = button.dataset.prefix;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.querySelector(`template.formset-empty[data-prefix="${prefix}"]`);
  const container = document.querySelector(`.formset[data-prefix="${prefix}"]`);
  const index = Number(total.value);
  container.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
  total.value = String(index + 1);
});
