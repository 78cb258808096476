// partnerd portal: the few things that need script. Everything works without it,
// except copying to the clipboard; buttons that only work with script carry
// `hidden` and are shown here.
(function () {
  var PUT_BACK = "The customer's link was put back at the end: the customer needs it.";

  function textOf(el) {
    return el.value !== undefined ? el.value : el.textContent;
  }

  // A text that must keep a link (the draft e-mail of a customer request): if the
  // edits removed it, the link goes back at the end.
  function withLink(el) {
    var text = textOf(el);
    var link = el.getAttribute("data-keeps-link");
    if (link && text.indexOf(link) < 0) text = text.replace(/\s+$/, "") + "\n\n" + link + "\n";
    return text;
  }

  function warnIfLinkMissing(el) {
    var warning = document.getElementById(el.id + "-warning");
    if (warning) warning.hidden = textOf(el).indexOf(el.getAttribute("data-keeps-link")) >= 0;
  }

  // Puts the link back into the field itself before the text is used; says whether
  // it had to.
  function restoreLink(el) {
    var text = withLink(el);
    if (el.value === undefined || el.value === text) return false;
    el.value = text;
    warnIfLinkMissing(el);
    say(el.id, PUT_BACK);
    return true;
  }

  function say(id, text) {
    var status = document.getElementById(id + "-status");
    if (status) status.textContent = text;
  }

  function updateMailto(a) {
    var subject = document.getElementById(a.getAttribute("data-mailto-subject"));
    var body = document.getElementById(a.getAttribute("data-mailto-body"));
    if (!subject || !body) return;
    a.href = "mailto:?subject=" + encodeURIComponent(textOf(subject)) +
      "&body=" + encodeURIComponent(withLink(body));
  }

  // Without a secure context (plain http on a LAN) there is no clipboard API: select
  // the text and try the older command, or ask for Ctrl+C.
  function copyBySelection(source, text) {
    var area = source;
    if (source.select === undefined) {
      area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "absolute";
      area.style.left = "-9999px";
      document.body.appendChild(area);
    }
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    if (area !== source) document.body.removeChild(area);
    return done;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy][hidden]").forEach(function (b) { b.hidden = false; });
  });

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!el.id) return;
    if (el.hasAttribute("data-keeps-link")) warnIfLinkMissing(el);
    document.querySelectorAll("[data-mailto-body]").forEach(function (a) {
      if (a.getAttribute("data-mailto-body") === el.id || a.getAttribute("data-mailto-subject") === el.id) {
        updateMailto(a);
      }
    });
  });

  document.addEventListener("click", function (event) {
    var mail = event.target.closest("[data-mailto-body]");
    if (mail) {
      var body = document.getElementById(mail.getAttribute("data-mailto-body"));
      if (body) restoreLink(body);
      updateMailto(mail);
      return;
    }
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var id = button.getAttribute("data-copy");
    var source = document.getElementById(id);
    if (!source) return;
    var note = restoreLink(source) ? PUT_BACK + " " : "";
    var text = withLink(source).trim();
    var fallback = function () {
      say(id, note + (copyBySelection(source, text)
        ? "Copied to the clipboard."
        : "The text is selected: press Ctrl+C (or \u2318C) to copy it."));
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        say(id, note + "Copied to the clipboard.");
      }, fallback);
    } else {
      fallback();
    }
  });
})();
