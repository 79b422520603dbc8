(function () {
  "use strict";
  // Synced audio: a click on a transcript line, a timestamp, an evidence quote or a timeline
  // mark (anything with data-seek) plays from there; playback highlights the current line.
  // Without a player the links still jump to the transcript line (plain #u-N anchors).
  var audio = document.getElementById("player");
  var printButton = document.getElementById("print-report");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  if (!audio) { return; }
  document.body.classList.add("has-audio");
  var lines = Array.prototype.slice.call(document.querySelectorAll("#transcript li[data-start]"));
  var current = null;

  function highlight() {
    var t = audio.currentTime, found = null;
    for (var i = 0; i < lines.length; i++) {
      if (parseFloat(lines[i].getAttribute("data-start")) > t) { break; }
      if (t < parseFloat(lines[i].getAttribute("data-end"))) { found = lines[i]; }
    }
    if (found === current) { return; }
    if (current) { current.classList.remove("playing"); current.removeAttribute("aria-current"); }
    if (found) { found.classList.add("playing"); found.setAttribute("aria-current", "true"); }
    current = found;
  }

  function seek(t) {
    if (!isFinite(t)) { return; }
    audio.currentTime = Math.max(0, t);
    highlight();
    var playing = audio.play();
    if (playing && playing.catch) { playing.catch(function () { /* not allowed yet */ }); }
  }

  document.addEventListener("click", function (ev) {
    var target = ev.target.closest ? ev.target.closest("[data-seek]") : null;
    if (!target) { return; }
    var selection = window.getSelection ? window.getSelection() : null;
    if (selection && !selection.isCollapsed && target.tagName === "LI") { return; }
    seek(parseFloat(target.getAttribute("data-seek")));
  });
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);
})();
