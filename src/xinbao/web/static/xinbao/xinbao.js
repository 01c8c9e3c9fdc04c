/* Behaviour that used to sit in inline attributes, which the Content-Security-Policy (no
   'unsafe-inline') forbids: <select data-auto-submit> submits its form when changed. */
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-auto-submit") && target.form) {
    target.form.submit();
  }
});

/* A menu of the top bar (<details class="nav-group">) closes when another opens, on a click
   elsewhere and on Escape. */
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.nav-group[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) {
      menu.removeAttribute("open");
    }
  });
});
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    document.querySelectorAll("details.nav-group[open]").forEach(function (menu) {
      menu.removeAttribute("open");
    });
  }
});
