// The dashboard's own small script: toasts, dialogs, auto-submitting selects.
// Everything here is an enhancement; every page works without JavaScript.
(function () {
  "use strict";

  function showToasts(root) {
    root.querySelectorAll("[data-toast]:not(.show)").forEach(function (el) {
      window.bootstrap.Toast.getOrCreateInstance(el, { delay: 6000 }).show();
      el.addEventListener("hidden.bs.toast", function () { el.remove(); });
    });
  }

  function modal() {
    return window.bootstrap.Modal.getOrCreateInstance(document.getElementById("modal"));
  }

  document.documentElement.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    showToasts(document);
  });

  document.addEventListener("htmx:oobAfterSwap", function () { showToasts(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    showToasts(document);
    if (event.detail.target && event.detail.target.id === "modal" && event.detail.target.children.length) {
      modal().show();
    }
  });

  document.addEventListener("closeModal", function () { modal().hide(); });

  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id === "modal") { event.target.replaceChildren(); }
  });

  // A select marked data-autosubmit submits its form on change (the language switcher).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]")) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });

  // When the service cannot be reached htmx gets no response: say so instead of doing nothing.
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("toasts");
    var el = document.createElement("div");
    el.className = "toast text-bg-danger border-0";
    el.setAttribute("data-toast", "");
    el.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = document.body.dataset.networkError || "The dashboard could not be reached. Check your connection and try again.";
    el.appendChild(body);
    box.appendChild(el);
    showToasts(box);
  });
})();
