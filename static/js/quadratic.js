// Quadratic ballots, progressive enhancement only: as the member changes the votes on an option, show
// the credits spent and left and say when the ballot is over budget. Without this script the
// "Check my ballot" button asks the server for the same numbers, and the server refuses an
// over-budget ballot either way.
(function () {
  "use strict";
  document.querySelectorAll("[data-quadratic-budget]").forEach(function (question) {
    var budget = parseInt(question.getAttribute("data-quadratic-budget"), 10);
    var inputs = question.querySelectorAll("[data-votes]");
    var spentOut = question.querySelector("[data-credits-spent]");
    var leftOut = question.querySelector("[data-credits-left]");
    var warning = question.querySelector("[data-over-budget]");
    function update() {
      var spent = 0;
      inputs.forEach(function (input) {
        var votes = parseInt(String(input.value).replace("\u2212", "-"), 10);
        var cost = isNaN(votes) ? 0 : votes * votes;
        spent += cost;
        var costOut = question.querySelector("[data-cost-for='" + input.id + "']");
        if (costOut) { costOut.textContent = String(cost); }
      });
      if (spentOut) { spentOut.textContent = String(spent); }
      if (leftOut) { leftOut.textContent = String(Math.max(0, budget - spent)); }
      if (warning) {
        warning.hidden = spent <= budget;
        warning.textContent = spent > budget
          ? "Over budget: this ballot spends " + spent + " voice credits; the budget is " + budget + "."
          : "";
      }
    }
    inputs.forEach(function (input) {
      input.addEventListener("input", update);
      input.addEventListener("change", update);
    });
    update();
  });
}());
