// The dashboard's own small script: toasts, dialogs, auto-submitting selects, secrets shown on
// request.
// Everything here is an enhancement; every page works without JavaScript.
(function () {
  "use strict";

  function showToasts(root) {
    root.querySelectorAll("[data-toast]:not(.show)").forEach(function (el) {
      // An error stays until it is closed: it may need reading twice, or passing on.
      var isError = el.getAttribute("role") === "alert";
      window.bootstrap.Toast.getOrCreateInstance(el, { delay: 6000, autohide: !isError }).show();
      el.addEventListener("hidden.bs.toast", function () { el.remove(); });
    });
  }

  function modal() {
    return window.bootstrap.Modal.getOrCreateInstance(document.getElementById("modal"));
  }

  document.documentElement.classList.add("js");

  // A secret's password box (data-reveal) gets a button that shows what was typed, and hides it
  // again: a long token is easier to check than to type blind. The button is named "Show the
  // secret" and described by the field's label: a name holding the label's words would make
  // the label name two controls ("Bot token" and "Show Bot token").
  function addRevealButtons(root) {
    root.querySelectorAll("input[data-reveal]:not([data-reveal-ready])").forEach(function (input) {
      var labels = document.body.dataset;
      var label = input.labels && input.labels[0];
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link btn-sm px-0 reveal-button";
      button.setAttribute("aria-controls", input.id);
      if (label) {
        label.id = label.id || input.id + "-label";
        button.setAttribute("aria-describedby", label.id);
      }
      var show = function (shown) {
        input.type = shown ? "text" : "password";
        button.textContent = shown ? labels.hideLabel : labels.showLabel;
        button.setAttribute("aria-label", shown ? labels.hideSecretLabel : labels.showSecretLabel);
      };
      button.addEventListener("click", function () { show(input.type === "password"); });
      show(false);
      input.setAttribute("data-reveal-ready", "");
      input.insertAdjacentElement("afterend", button);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showToasts(document);
    addRevealButtons(document);
  });

  document.addEventListener("htmx:oobAfterSwap", function () { showToasts(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    showToasts(document);
    addRevealButtons(document);
    var target = event.detail.target;
    if (target && target.id === "modal" && target.children.length) {
      // Screen readers announce the dialog by its title.
      var title = target.querySelector(".modal-title[id]");
      if (title) { target.setAttribute("aria-labelledby", title.id); }
      modal().show();
    }
  });

  // Bootstrap gives focus back only to its own data-api openers. A dialog opened through htmx
  // gets it back here; when the opener went away meanwhile (a deleted row), the main content.
  var modalOpener = null;
  document.addEventListener("show.bs.modal", function (event) {
    if (event.target.id === "modal") { modalOpener = document.activeElement; }
  });

  document.addEventListener("closeModal", function () { modal().hide(); });

  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id !== "modal") { return; }
    event.target.replaceChildren();
    var opener = modalOpener;
    modalOpener = null;
    if (opener && opener.isConnected) { opener.focus(); } else { document.getElementById("main").focus(); }
  });

  // The list's rows share one form (#row-form): a row's switch or test button submits it to
  // the button's own address, and the answer replaces that button's row, unless the server
  // named another target.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    if (detail.elt.id === "row-form" && trigger && trigger.submitter && !detail.xhr.getResponseHeader("HX-Retarget")) {
      detail.target = trigger.submitter.closest("tr");
    }
  });

  // A row swapped after its switch or test keeps the focus on the same control. Its controls
  // carry no ids (a page may hold 1000 rows), so the control is found again by its address.
  var focusedAction = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    var action = active && active.getAttribute && active.getAttribute("formaction");
    focusedAction = action && target && target.contains(active) ? action : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!focusedAction) { return; }
    var again = document.querySelector('[formaction="' + CSS.escape(focusedAction) + '"]');
    focusedAction = null;
    if (again) { again.focus(); }
  });

  // A link marked data-modal (a row's Delete) opens its page in the dialog.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-modal]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    event.preventDefault();
    window.htmx.ajax("GET", link.href, { source: link, target: "#modal", swap: "innerHTML" });
  });

  // A list row's test answers with the row and its result under it: the result of an earlier
  // test, or of one before a switch, goes when the row is swapped again.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var next = target && target.tagName === "TR" ? target.nextElementSibling : null;
    if (next && next.classList.contains("test-outcome-row")) { next.remove(); }
  });

  // A button marked data-copy="#id" copies that field's text (an invitation link).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.querySelector(button.dataset.copy);
    var done = function () { button.textContent = button.dataset.copiedText || button.textContent; };
    field.select();
    // The clipboard API exists only on HTTPS (and localhost); elsewhere the old command still works.
    if (navigator.clipboard) { navigator.clipboard.writeText(field.value).then(done); } else if (document.execCommand("copy")) { done(); }
  });

  // A filter form swapped in by an answer gets its htmx behaviour only when that answer settles,
  // a few milliseconds later. A choice or a keystroke in that moment would otherwise send the
  // form the old way and reload the whole page; the form is made ready before the event reaches it.
  ["submit", "input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = event.type === "submit" ? event.target : event.target.form;
      if (form && form.method === "get" && form.hasAttribute("data-hx-get") && window.htmx) { window.htmx.process(form); }
    }, true);
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
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", document.body.dataset.closeLabel || "Close");
    var row = document.createElement("div");
    row.className = "d-flex";
    row.append(body, close);
    el.appendChild(row);
    box.appendChild(el);
    showToasts(box);
  });
})();

// Pages show times in the viewer's zone: tell the server which one the browser is in (the pages
// after this one use it). Zone names are plain ASCII, so the cookie needs no encoding.
(function () {
  var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || !/^[A-Za-z0-9_+\/-]+$/.test(zone) || document.cookie.split("; ").indexOf("tz=" + zone) !== -1) { return; }
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
})();
