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

// Camera scan (progressive enhancement): only where the browser has the BarcodeDetector
// API and a camera interface is the "Scan with camera" button shown; everywhere else the
// page is the plain form above. A code read from the member's QR fills the code field.
(function () {
  "use strict";
  var area = document.getElementById("till-scan");
  var code = document.getElementById("code");
  var amount = document.getElementById("amount");
  if (!area || !code || !("BarcodeDetector" in window) || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) { return; }
  var button = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stream = null;
  area.hidden = false;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    video.hidden = true;
    button.disabled = false;
  }

  function found(value) {
    stop();
    code.value = value.replace(/\s+/g, "");
    status.textContent = area.dataset.found || "";
    amount.focus();
  }

  function scanLoop(detector) {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) { found(codes[0].rawValue); return; }
      window.setTimeout(function () { scanLoop(detector); }, 200);
    }).catch(function () {
      window.setTimeout(function () { scanLoop(detector); }, 400);
    });
  }

  button.addEventListener("click", function () {
    var wanted = ["qr_code", "code_128", "ean_13"];
    button.disabled = true;
    status.textContent = area.dataset.looking || "";
    Promise.resolve(window.BarcodeDetector.getSupportedFormats ?
      window.BarcodeDetector.getSupportedFormats() : wanted).then(function (formats) {
      var usable = wanted.filter(function (f) { return formats.indexOf(f) !== -1; });
      var detector = new window.BarcodeDetector({ formats: usable.length ? usable : wanted });
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.hidden = false;
          return video.play();
        }).then(function () { scanLoop(detector); });
    }).catch(function () {
      stop();
      status.textContent = area.dataset.failed || "";
    });
  });
})();
