/* Loupan's additions to Flask-AppBuilder's pages: select boxes speak the user's language and
   show an empty choice as "Please choose" instead of its internal value. */
(function ($) {
  "use strict";
  var t = window.LOUPAN_I18N || {};
  var language = {
    noResults: function () { return t.noResults; },
    searching: function () { return t.searching; },
    loadingMore: function () { return t.loadingMore; },
    inputTooShort: function () { return t.inputTooShort; },
    removeAllItems: function () { return t.clear; },
    removeItem: function () { return t.clear; }
  };
  if ($.fn.select2) {
    $.fn.select2.defaults.set("language", language);
  }
  $(function () {
    $("select.my_select2").each(function () {
      var $el = $(this);
      $el.find('option[value="__None"]').text("");
      if ($el.data("select2")) { $el.select2("destroy"); }
      $el.select2({
        theme: "bootstrap",
        allowClear: !$el.prop("required"),
        placeholder: {id: "__None", text: t.choose},
        language: language,
        width: "100%"
      });
      if ($el.hasClass("readonly")) { $el.select2("readonly", true); }
    });
  });
})(jQuery);
