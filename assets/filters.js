// The filter bar's dropdowns are created with each page from the URL, and Dash reports their values as they
// mount. Pass on only a real change: the filter the user changed and all seven values, so that a page load
// costs no request. The order is callbacks/shell.py's FILTER_ORDER; the dropdowns' ids are "filter-<name>".
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  filters: {
    changed: function () {
      var names = ["period", "district", "consortium", "institution", "team", "disease", "insurance"];
      var args = Array.prototype.slice.call(arguments);
      var values = args.slice(0, names.length);
      var params = new URLSearchParams(args[names.length] || "");
      var defaults = { period: "this_year" }; // dashboard/core/state.py DEFAULT_PERIOD
      var triggered = (window.dash_clientside.callback_context.triggered || []).map(function (t) {
        return t.prop_id.split(".")[0];
      });
      for (var i = 0; i < names.length; i++) {
        var id = "filter-" + names[i];
        var now = values[i] || defaults[names[i]] || "";
        var url = params.get(names[i]) || defaults[names[i]] || "";
        if (now !== url && triggered.indexOf(id) >= 0) {
          return { changed: id, values: values };
        }
      }
      return window.dash_clientside.no_update;
    },
  },
});
