// Renders the cards of window.CARDS ([{name, card}], written by tests/cards_render.rs) with the
// official Adaptive Cards SDK, as AC 1.3 with the Webex-like host config (window.HOST_CONFIG), and
// writes what went wrong into #result as base64 JSON (read back through `chromium --dump-dom`).
// With `?card=NAME` it renders only that card, for a screenshot.
(function () {
  "use strict";
  var consoleErrors = [];
  var originalError = console.error;
  console.error = function () {
    consoleErrors.push(Array.prototype.map.call(arguments, String).join(" "));
    originalError.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    consoleErrors.push("uncaught: " + e.message);
  });

  var AC = window.AdaptiveCards;
  var only = new URLSearchParams(window.location.search).get("card");
  var results = [];
  // Markdown a card of ours must never produce: its text is escaped, its emphasis is by weight.
  var INJECTED = "a, strong, em, ul, ol, li, code, pre, h1, h2, h3, h4, h5, h6, img, blockquote";

  function describe(e) {
    return AC.ValidationEvent[e.event] + ": " + e.message;
  }

  (window.CARDS || []).forEach(function (entry) {
    if (only && entry.name !== only) return;
    var r = { name: entry.name, errors: [], warnings: [], height: 0 };
    try {
      var card = new AC.AdaptiveCard();
      card.hostConfig = new AC.HostConfig(window.HOST_CONFIG);
      var context = new AC.SerializationContext(AC.Versions.v1_3);
      card.parse(entry.card, context);
      for (var i = 0; i < context.eventCount; i++) {
        var e = context.getEventAt(i);
        // The SDK logs a Hint for information only; everything else is a problem of the card.
        (e.event === AC.ValidationEvent.Hint ? r.warnings : r.errors).push(describe(e));
      }
      card.validateProperties().validationEvents.forEach(function (e) {
        r.warnings.push("validation " + describe(e));
      });
      var host = document.createElement("div");
      host.className = "card";
      host.setAttribute("data-name", entry.name);
      document.getElementById("cards").appendChild(host);
      var rendered = card.render();
      if (!rendered) {
        r.errors.push("render() returned nothing");
      } else {
        host.appendChild(rendered);
        r.height = Math.ceil(host.getBoundingClientRect().height);
        var injected = rendered.querySelectorAll(INJECTED);
        for (var j = 0; j < injected.length; j++) {
          r.errors.push("markdown produced <" + injected[j].tagName.toLowerCase() + ">: " +
            injected[j].outerHTML.slice(0, 200));
        }
        var buttons = rendered.querySelectorAll("button");
        r.buttons = Array.prototype.map.call(buttons, function (b) { return b.textContent.trim(); });
        r.text = rendered.textContent;
      }
    } catch (e) {
      r.errors.push("exception: " + (e && e.stack ? e.stack : String(e)));
    }
    results.push(r);
  });

  var out = { sdk: AC.version ? String(AC.version) : "", consoleErrors: consoleErrors, cards: results };
  var json = JSON.stringify(out);
  var el = document.getElementById("result");
  el.textContent = btoa(unescape(encodeURIComponent(json)));
  if (only) el.style.display = "none";
})();
