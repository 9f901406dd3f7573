// A barcode gun types the digits and Enter: in the code field, Enter moves on to the
// amount when it is still empty instead of submitting a half-filled form.
(function () {
  "use strict";
  var code = document.getElementById("code");
  var amount = document.getElementById("amount");
  if (!code || !amount) { return; }
  code.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !amount.value) {
      event.preventDefault();
      amount.focus();
    }
  });
})();
