"""The embed snippet: a floating 在线咨询 button a portal gets with one <script> tag."""

from __future__ import annotations

import json

from bot.messages import t

_TEMPLATE = """// Citizen Desk: a floating button that opens the online chat in a new tab
// (first-party, so its cookie works in WeChat's browser and without third-party cookies).
(function () {
  "use strict";
  if (document.getElementById("citizen-desk-chat")) return;
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
  (document.body || document.documentElement).appendChild(a);
})();
"""


def embed_script(base: str, lang: str) -> str:
    """The script for a portal page; `base` is this server's public address."""
    url = f"{base}/chat" + ("?lang=en" if lang == "en" else "")
    label = t("webchat_open", lang)
    return _TEMPLATE % {"url": json.dumps(url), "label": json.dumps(label, ensure_ascii=False)}
