// Presentation mode of the hospital report: full screen, one slide at a time, arrow keys to move, Esc to leave.
// The slides are the report's .report-slide sections; the page stays a normal page until start() is called.
(function () {
  "use strict";
  var current = 0;

  function container() {
    return document.getElementById("report-slides");
  }

  function slides() {
    var box = container();
    return box ? Array.prototype.slice.call(box.querySelectorAll(".report-slide")) : [];
  }

  function show(index) {
    var all = slides();
    if (!all.length) {
      return;
    }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (slide, i) {
      slide.classList.toggle("active", i === current);
    });
    var box = container();
    box.setAttribute("data-slide", String(current + 1) + "/" + String(all.length));
    // Plotly sizes a chart when it is drawn; a chart in a slide that was hidden needs a resize when shown.
    window.dispatchEvent(new Event("resize"));
  }

  function stop() {
    var box = container();
    if (box) {
      box.classList.remove("presenting");
      box.removeAttribute("data-slide");
      slides().forEach(function (slide) {
        slide.classList.remove("active");
      });
    }
    if (document.fullscreenElement && document.exitFullscreen) {
      document.exitFullscreen().catch(function () {});
    }
    window.dispatchEvent(new Event("resize"));
  }

  function start() {
    var box = container();
    if (!box || !slides().length) {
      return;
    }
    box.classList.add("presenting");
    show(0);
    if (box.requestFullscreen) {
      // Full screen may be refused (no user gesture, a headless browser): the slides still work in the page.
      box.requestFullscreen().catch(function () {});
    }
  }

  document.addEventListener("keydown", function (event) {
    var box = container();
    if (!box || !box.classList.contains("presenting")) {
      return;
    }
    if (["ArrowRight", "ArrowDown", "PageDown", " "].indexOf(event.key) >= 0) {
      show(current + 1);
    } else if (["ArrowLeft", "ArrowUp", "PageUp"].indexOf(event.key) >= 0) {
      show(current - 1);
    } else if (event.key === "Escape") {
      stop();
    } else {
      return;
    }
    event.preventDefault();
  });

  document.addEventListener("fullscreenchange", function () {
    var box = container();
    if (!document.fullscreenElement && box && box.classList.contains("presenting")) {
      stop(); // Esc pressed by the browser itself leaves full screen: leave the slides too
    }
  });

  window.reportPresentation = { start: start, stop: stop, show: show };
})();
