"""The embed snippet: a floating 在线咨询 button a portal gets with one <script> tag."""

from __future__ import annotations

import json

from bot.messages import t

_TEMPLATE = """// Citizen Desk: a floating button that opens the online chat in a new tab
// (first-party, so its cookie works in WeChat's browser and without third-party cookies).
// With data-frame on the <script> tag, on a site named in CITIZEN_DESK_WEB_ORIGINS, it
// opens the chat in a panel on the page instead (an iframe; elsewhere still a new tab).
(function () {
  "use strict";
  if (document.getElementById("citizen-desk-chat")) return;
  var script = document.currentScript;
  var framed = !!(script && script.hasAttribute("data-frame")) &&
    %(frameable)s.indexOf(location.origin) >= 0;
  var a = document.createElement("a");
  a.id = "citizen-desk-chat";
  a.href = %(url)s;
  a.target = "_blank";
  a.rel = "noopener";
  a.textContent = %(label)s;
  var s = a.style;
  s.position = "fixed"; s.right = "16px"; s.bottom = "16px"; s.zIndex = "2147483000";
  s.padding = "12px 18px"; s.borderRadius = "24px"; s.background = "#b71c1c";
  s.color = "#fff"; s.font = "16px/1.2 system-ui, sans-serif"; s.textDecoration = "none";
  s.boxShadow = "0 2px 8px rgba(0,0,0,.3)";
  var root = document.body || document.documentElement;
  if (framed) {
    var panel = null;
    a.setAttribute("role", "button");
    a.setAttribute("aria-expanded", "false");
    a.setAttribute("aria-controls", "citizen-desk-panel");
    a.addEventListener("keydown", function (event) {  // a button opens with Space too
      if (event.key === " ") { event.preventDefault(); a.click(); }
    });
    a.addEventListener("click", function (event) {
      event.preventDefault();
      if (!panel) {
        panel = document.createElement("iframe");
        panel.id = "citizen-desk-panel";
        panel.src = a.href;
        panel.title = a.textContent;
        var p = panel.style;
        p.position = "fixed"; p.right = "16px"; p.bottom = "72px"; p.zIndex = "2147483000";
        p.width = "min(380px, calc(100vw - 32px))"; p.height = "min(640px, calc(100vh - 96px))";
        p.border = "0"; p.borderRadius = "12px"; p.background = "#fff";
        p.boxShadow = "0 4px 16px rgba(0,0,0,.3)";
        root.appendChild(panel);
      } else {
        panel.hidden = !panel.hidden;
      }
      a.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) panel.focus();
    });
  }
  root.appendChild(a);
})();
"""


def embed_script(base: str, lang: str, origins: tuple[str, ...] = ()) -> str:
    """The script for a portal page; `base` is this server's public address, `origins` the
    sites that may frame the chat (where data-frame opens it in a panel)."""
    url = f"{base}/chat" + ("?lang=en" if lang == "en" else "")
    label = t("webchat_open", lang)
    return _TEMPLATE % {
        "url": json.dumps(url),
        "label": json.dumps(label, ensure_ascii=False),
        "frameable": json.dumps(list(origins)),
    }
