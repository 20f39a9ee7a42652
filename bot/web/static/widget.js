/* newsbot chat widget, served by the bot as /widget.js (bot/web/widget.py). Plain JavaScript, no build step.
 *
 *   <script src="https://bot.example/widget.js" data-article="ID" data-title="…"
 *           data-accent="#0a7" data-position="bottom-left" data-open="true"></script>
 *
 * A launcher bubble opens the bot's /embed chat in an iframe. Without data-article the embed
 * scopes itself to the article whose stored url is this page's canonical URL (matched by the
 * bot, so no API call or CORS from here). The page must be one of BOT_EMBED_ORIGINS to frame it.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src$="/widget.js"]');
  if (!script || window.__newsbotWidget) return; // the tag twice: one widget
  window.__newsbotWidget = true;

  var data = script.dataset;
  // the bot's base URL is this script's own, so a path prefix (https://host/bot/widget.js) works
  var base = new URL(script.src, location.href).href.replace(/\/widget\.js([?#].*)?$/, "");
  var query = new URLSearchParams();
  if (data.article) {
    query.set("article", data.article);
  } else {
    var link = document.querySelector('link[rel~="canonical"][href]'), page;
    try { page = new URL(link.href); } catch (e) { page = new URL(location.href); }
    page.search = page.hash = ""; // the bot ignores them: never send a reader's query (tokens, ids) away
    query.set("url", page.href);
  }
  if (data.title) query.set("title", data.title);
  var src = base + "/embed/?" + query;

  var accent = data.accent && window.CSS && CSS.supports("color", data.accent) ? data.accent : "#2563eb";
  var side = data.position === "bottom-left" ? "left" : "right";
  var label = data.title || "Ask about this article";

  var css =
    ":host{all:initial}" +
    "button{font:inherit;cursor:pointer;border:0}" +
    ".bubble{position:fixed;bottom:20px;" + side + ":20px;width:56px;height:56px;border-radius:50%;" +
    "background:var(--accent);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.3);display:flex;" +
    "align-items:center;justify-content:center;z-index:2147483646}" +
    ".bubble:focus-visible,.close:focus-visible{outline:3px solid #111;outline-offset:2px}" +
    ".panel{position:fixed;bottom:88px;" + side + ":20px;width:400px;height:640px;max-height:calc(100vh - 108px);" +
    "display:none;flex-direction:column;background:#fff;border-radius:12px;overflow:hidden;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.3);z-index:2147483647;font:15px/1.4 system-ui,sans-serif;color:#111}" +
    ".panel.open{display:flex}" +
    ".head{display:flex;align-items:center;gap:8px;padding:10px 12px;background:var(--accent);color:#fff}" +
    ".title{flex:1;margin:0;font-size:15px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".close{background:none;color:inherit;font-size:24px;line-height:1;padding:0 4px}" +
    "iframe{flex:1;width:100%;border:0}" +
    "@media (max-width:600px){.panel{inset:0;width:auto;height:auto;max-height:none;border-radius:0}}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text) node.textContent = text; // text only: never markup from the page's attributes
    return node;
  }

  function mount() {
    var host = el("newsbot-widget", {}); // an element of its own: the page's "div { … }" rules miss it
    host.style.setProperty("--accent", accent);
    var root = host.attachShadow({ mode: "open" }); // the host page's CSS cannot reach inside
    var bubble = el("button", { type: "button", class: "bubble", "aria-label": "Open the chat: " + label,
      "aria-expanded": "false", "aria-controls": "panel" });
    bubble.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">' +
      '<path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
    var panel = el("div", { id: "panel", class: "panel", role: "dialog", "aria-label": label });
    var head = el("div", { class: "head" });
    var close = el("button", { type: "button", class: "close", "aria-label": "Close the chat" }, "×");
    head.append(el("h2", { class: "title" }, label), close);
    panel.append(head);
    root.append(el("style", {}, css), bubble, panel);
    var frame = null;

    function open(focus) {
      if (!frame) { // created on first open: a page with a closed widget loads nothing from the bot
        frame = el("iframe", { src: src, title: label, allow: "clipboard-write" });
        panel.append(frame);
      }
      panel.classList.add("open");
      bubble.setAttribute("aria-expanded", "true");
      bubble.setAttribute("aria-label", "Close the chat");
      if (focus) close.focus();
    }
    function shut() {
      if (!panel.classList.contains("open")) return;
      panel.classList.remove("open");
      bubble.setAttribute("aria-expanded", "false");
      bubble.setAttribute("aria-label", "Open the chat: " + label);
      bubble.focus();
    }
    bubble.addEventListener("click", function () { panel.classList.contains("open") ? shut() : open(true); });
    close.addEventListener("click", shut);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
    // Escape pressed inside the chat: the embed tells its parent (keys in a frame stay in the frame)
    window.addEventListener("message", function (e) {
      if (frame && e.source === frame.contentWindow && e.data && e.data.type === "newsbot:close") shut();
    });
    document.body.append(host);
    if (data.open === "true") open();
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
