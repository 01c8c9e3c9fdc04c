/* Behaviour that used to sit in inline attributes, which the Content-Security-Policy (no
   'unsafe-inline') forbids: <select data-auto-submit> submits its form when changed. */
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-auto-submit") && target.form) {
    target.form.submit();
  }
});
