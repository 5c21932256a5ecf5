/* The form journey (issue 15): focus the error summary when a page shows one, and say
   at once when a chosen file is too large or of a type the portal refuses. Only hints:
   the server checks every file again, and every page works without this script. */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  var messages = document.getElementById("file-messages");
  if (!messages) {
    return;
  }
  var maxBytes = parseInt(messages.getAttribute("data-max-bytes"), 10) || 0;
  var allowed = /\.(pdf|jpe?g|png)$/i;
  var allowedTypes = ["application/pdf", "image/jpeg", "image/png", ""];

  function problem(file) {
    if (maxBytes && file.size > maxBytes) {
      return messages.getAttribute("data-too-large");
    }
    if (!allowed.test(file.name) || allowedTypes.indexOf(file.type) === -1) {
      return messages.getAttribute("data-wrong-type");
    }
    return "";
  }

  function check(input) {
    var hint = document.getElementById(input.getAttribute("data-file-check"));
    if (!hint) {
      return;
    }
    var text = input.files && input.files.length ? problem(input.files[0]) : "";
    var described = (input.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter(function (id) { return id && id !== hint.id; });
    hint.textContent = text;
    hint.hidden = !text;
    if (text) {
      described.push(hint.id);
      input.setAttribute("aria-invalid", "true");
    } else if (!document.getElementById("de-" + input.id.slice(2))) {
      input.removeAttribute("aria-invalid");
    }
    if (described.length) {
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }

  var inputs = document.querySelectorAll("input[type=file][data-file-check]");
  Array.prototype.forEach.call(inputs, function (input) {
    input.addEventListener("change", function () { check(input); });
  });
})();
