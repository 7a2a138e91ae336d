// Proposal body forms, progressive enhancement only: hide the boxes that the current choice does not
// use (an organisation's address while the rule applies to a category, the equal part of a formula
// that is not hybrid). Without this script every box shows and the hints say which choice uses it.
(function () {
  "use strict";
  document.querySelectorAll(".body-form [data-shown-if]").forEach(function (control) {
    var spec = control.getAttribute("data-shown-if").split(":");
    var prefix = control.name.slice(0, control.name.lastIndexOf("-") + 1);
    var source = control.form && control.form.elements.namedItem(prefix + spec[0]);
    var wrapper = control.closest(".field");
    if (!source || !wrapper) { return; }
    var values = spec[1].split(",");
    function sync() { wrapper.hidden = values.indexOf(source.value) < 0; }
    source.addEventListener("change", sync);
    sync();
  });
}());
