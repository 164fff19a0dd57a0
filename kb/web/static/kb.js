// Keyboard shortcuts and the citation copy button (a file, not inline: strict CSP).
(function () {
  "use strict";
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    if (e.key === "/") {
      var box = document.getElementById("kb-q") || document.getElementById("kb-q-top");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    } else if (e.key === "[" || e.key === "]") {
      var link = document.querySelector(e.key === "[" ? "a[rel=prev]" : "a[rel=next]");
      if (link) { e.preventDefault(); window.location.href = link.href; }
    }
  });
  function copied(button) {
    button.textContent = "Скопировано";
    button.setAttribute("aria-live", "polite");
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.kb-copy") : null;
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.textContent;
    function fallback() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
      try { document.execCommand("copy"); } catch (err) { /* selection stays for Ctrl+C */ }
      copied(button);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, fallback);
    } else { fallback(); }
  });
}());
