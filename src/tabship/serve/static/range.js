// Optional: a slider under each number box with an observed range, kept in sync with it.
// The form works without this file; the slider has no name, so only the box is posted.
(function () {
  "use strict";
  var boxes = document.querySelectorAll('.field input[type="number"][min][max]');
  Array.prototype.forEach.call(boxes, function (box) {
    var slider = document.createElement("input");
    slider.type = "range";
    slider.className = "range";
    slider.min = box.min;
    slider.max = box.max;
    slider.step = box.step || "any";
    slider.value = box.value;
    slider.tabIndex = -1;
    slider.setAttribute("aria-hidden", "true");
    slider.addEventListener("input", function () { box.value = slider.value; });
    box.addEventListener("input", function () { slider.value = box.value; });
    box.insertAdjacentElement("afterend", slider);
  });
})();
