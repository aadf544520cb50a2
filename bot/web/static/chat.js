// The citizens' chat page: send with a client-made id (retried until stored), show events.
"use strict";
(function () {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const csrf = meta("chat-csrf");
  const lang = meta("chat-lang");
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const form = document.getElementById("say");
  const input = document.getElementById("text");

  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function bubble(who, text, buttons) {
    const item = document.createElement("li");
    item.className = who;
    const para = document.createElement("p");
    para.className = "text";
    para.textContent = text;
    item.appendChild(para);
    for (const row of buttons || []) {
      const choices = document.createElement("div");
      choices.className = "choices";
      for (const cell of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "choice";
        button.dataset.action = cell.data;
        button.textContent = cell.text;
        choices.appendChild(button);
      }
      item.appendChild(choices);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  async function send(body) {
    body.id = newId();
    for (let wait = 1000; ; wait = Math.min(wait * 2, 30000)) {
      try {
        const response = await fetch(`/chat/send?lang=${lang}`, {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json", "x-csrf-token": csrf },
          body: JSON.stringify(body),
        });
        const answer = await response.json();
        if (!answer.ok) status.textContent = answer.message;
        else status.textContent = "";
        return;
      } catch (error) {
        // Lost signal: the same id again, so the message is stored at most once.
        status.textContent = meta("chat-reconnecting");
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    bubble("me", text);
    input.value = "";
    send({ text: text });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  log.addEventListener("click", (event) => {
    const button = event.target.closest("button.choice");
    if (!button) return;
    bubble("me", button.textContent);
    send({ action: button.dataset.action });
  });

  // A photo or PDF: the body is the file; one upload id for every retry, so it is stored once.
  const file = document.getElementById("file");
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    file.value = "";
    bubble("me", meta("chat-file-sent").replace("{name}", chosen.name));
    const id = newId();
    for (let wait = 1000; ; wait = Math.min(wait * 2, 30000)) {
      try {
        const response = await fetch(`/chat/upload?lang=${lang}`, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "x-csrf-token": csrf,
            "x-upload-id": id,
            "x-file-name": encodeURIComponent(chosen.name),
          },
          body: chosen,
        });
        const answer = await response.json();
        status.textContent = answer.ok ? "" : answer.message;
        return;
      } catch (error) {
        status.textContent = meta("chat-reconnecting");
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  });

  async function post(path, body) {
    const response = await fetch(`${path}?lang=${lang}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    return response.json();
  }

  document.getElementById("show-code").addEventListener("click", async () => {
    const answer = await post("/chat/code", {});
    document.getElementById("code").textContent = answer.ok ? answer.code : answer.message;
  });
  document.getElementById("restore").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await post("/chat/restore", {
      code: document.getElementById("restore-code").value,
    });
    if (answer.ok) location.reload();
    else document.getElementById("code").textContent = answer.message;
  });

  // From the start: a page reopened later shows everything, with what arrived meanwhile.
  // On reconnect the browser sends Last-Event-ID itself.
  const events = new EventSource("/chat/events");
  events.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    status.textContent = "";
    bubble("bot", data.text, data.buttons);
  });
  events.addEventListener("error", () => {
    status.textContent = meta("chat-reconnecting");
  });
})();
