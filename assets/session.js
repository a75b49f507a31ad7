// A session that ended (idle timeout, logout in another tab, a restart with a new key) makes the server answer
// Dash's requests with 401 (dashboard/auth.py). Rather than leave the page showing stale numbers and spinners,
// go to the login page, which brings the user back here afterwards.
(function () {
  var originalFetch = window.fetch;
  var leaving = false;
  window.fetch = function () {
    return originalFetch.apply(this, arguments).then(function (response) {
      if (response.status === 401 && !leaving && response.url.indexOf("/_dash-") >= 0) {
        leaving = true;
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
