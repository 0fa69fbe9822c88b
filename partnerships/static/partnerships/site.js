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

// On a narrow screen a wide table scrolls sideways inside its own box. A box that scrolls and
// holds nothing focusable cannot be scrolled from the keyboard, so it becomes focusable
// itself (arrow keys scroll it); one that fits again leaves the tab order.
const SCROLL_BOXES = ".data-table, .table-wrap, .chart-card";

function letKeyboardScrollWideBoxes() {
  for (const box of document.querySelectorAll(SCROLL_BOXES)) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.dataset.scrollFocus = "on";
    } else if (!scrolls && box.dataset.scrollFocus) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrollFocus;
    }
  }
}

document.addEventListener("DOMContentLoaded", letKeyboardScrollWideBoxes);
window.addEventListener("resize", letKeyboardScrollWideBoxes);

// The MoU form: the signatory list offers only the chosen partner's contacts (each option
// carries data-partner). The server checks it too; this only spares a wrong choice.
function offerThePartnersContacts(partnerSelect) {
  const signatory = partnerSelect.form.querySelector("select[name='partner_signatory']");
  if (!signatory) return;
  for (const option of signatory.options) {
    if (!option.dataset.partner) continue;
    const ofThePartner = option.dataset.partner === partnerSelect.value;
    option.hidden = !ofThePartner;
    option.disabled = !ofThePartner;
    if (!ofThePartner && option.selected) signatory.value = "";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[name='partner']")) {
    if (!select.form || !select.form.querySelector("select[name='partner_signatory']")) continue;
    offerThePartnersContacts(select);
    select.addEventListener("change", () => offerThePartnersContacts(select));
  }
});

// A table wider than its box gets a visible hint above it ("more columns to the right"):
// the hint is the element marked data-scroll-hint just before the box.
function showScrollHints() {
  for (const hint of document.querySelectorAll("[data-scroll-hint]")) {
    const box = hint.nextElementSibling;
    if (!box) continue;
    const scrollers = [box, ...box.querySelectorAll(".data-table")];
    hint.hidden = !scrollers.some((element) => element.scrollWidth > element.clientWidth + 1);
  }
}

document.addEventListener("DOMContentLoaded", showScrollHints);
window.addEventListener("resize", showScrollHints);

// The MoU page while its documents are prepared: ask the server for the rendering's status
// every quarter second and reload once it is done (ready or failed), so the PDF link shows
// as soon as it exists. Without scripts the page refreshes itself every two seconds instead
// (<noscript>). After a minute the questions slow down, a hidden tab asks nothing until it is
// shown again, and after half an hour the script gives up (a reload asks again): a stuck
// rendering must not cost requests for as long as a tab stays open.
const DOCUMENT_POLL_MS = 250;
const DOCUMENT_SLOW_POLL_MS = 2000;
const DOCUMENT_SLOW_AFTER_MS = 60000;
const DOCUMENT_GIVE_UP_AFTER_MS = 30 * 60000;
// Answers that mean this page is no longer the one to wait on (signed out, access gone).
const DOCUMENT_RELOAD_STATUSES = [401, 403, 404];

function waitForTheDocuments(element) {
  const url = element.dataset.documentStatusUrl;
  const started = Date.now();
  const askAgain = (slow = false) => {
    const waited = Date.now() - started;
    if (waited > DOCUMENT_GIVE_UP_AFTER_MS) return;
    if (document.hidden) {
      document.addEventListener("visibilitychange", () => askAgain(slow), { once: true });
      return;
    }
    const delay = slow || waited > DOCUMENT_SLOW_AFTER_MS ? DOCUMENT_SLOW_POLL_MS : DOCUMENT_POLL_MS;
    window.setTimeout(ask, delay);
  };
  const ask = async () => {
    let response;
    try {
      // A signed-out session is redirected to the login page: see the redirect, not its HTML.
      response = await fetch(url, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        redirect: "manual",
      });
    } catch {
      askAgain(true); // the network dropped: ask again, later
      return;
    }
    if (response.type === "opaqueredirect" || DOCUMENT_RELOAD_STATUSES.includes(response.status)) {
      window.location.reload(); // the page says what happened (the login page, not found)
      return;
    }
    let status;
    try {
      if (!response.ok) throw new Error(String(response.status));
      status = (await response.json()).status;
    } catch {
      askAgain(true); // the server is in trouble: ask again, later, without reloading
      return;
    }
    if (status === "queued" || status === "running") askAgain();
    else window.location.reload();
  };
  askAgain();
}

document.addEventListener("DOMContentLoaded", () => {
  const element = document.querySelector("[data-document-status-url]");
  if (element) waitForTheDocuments(element);
});
