// Live chat over the chat's WebSocket. Without it (no JavaScript, a server without
// WebSockets) the page's forms post and the page reloads itself: nothing here is needed.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || !window.WebSocket) { return; }
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + window.location.host + root.dataset.socket);
  var thread = root.querySelector(".chat-thread");
  var error = root.querySelector(".chat-error");
  var form = root.querySelector(".chat-form");
  var live = false;
  var seen = {};
  Array.prototype.forEach.call(thread.querySelectorAll("li[data-id]"), function (li) {
    seen[li.dataset.id] = true;
  });

  function show(field, value) {
    var wrap = root.querySelector('[data-field="' + field + '"]');
    if (!wrap) { return; }
    var slot = wrap.querySelector("[data-value]") || wrap;
    slot.textContent = value;
    wrap.hidden = !value;
  }

  function add(message) {
    if (seen[message.id]) { return; }
    seen[message.id] = true;
    var li = document.createElement("li");
    li.className = "message-" + message.side;
    li.dataset.side = message.side;
    li.dataset.id = message.id;
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("strong");
    who.textContent = message.author;
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" · " + message.at));
    var body = document.createElement("p");
    body.className = "body";
    body.textContent = message.body;
    li.appendChild(meta);
    li.appendChild(body);
    thread.appendChild(li);
  }

  socket.addEventListener("open", function () { live = true; });
  socket.addEventListener("close", function () {
    live = false;
    // No WebSockets here (or the server went away): keep the page current by reloading.
    var status = root.querySelector(".chat-status").dataset.status;
    if (status === "waiting" || status === "active") {
      window.setTimeout(function () { window.location.reload(); }, 10000);
    }
  });
  socket.addEventListener("message", function (event) {
    var data = JSON.parse(event.data);
    if (data.error) {
      error.textContent = data.error;
      error.hidden = false;
      return;
    }
    error.hidden = true;
    var label = data.status_label || "";
    var parts = label.split(" / ");
    show("status_label", root.dataset.lang === "th" ? parts[0] : (parts[1] || parts[0]));
    show("position", data.position ? String(data.position) : "");
    show("officer", data.officer || "");
    (data.messages || []).forEach(add);
    var status = root.querySelector(".chat-status");
    if (status.dataset.status !== data.status) {
      var before = status.dataset.status;
      status.dataset.status = data.status;
      // Picked up or ended: the page's buttons change, so load it again.
      if (before && (data.status === "ended" || data.status === "moved" || before === "waiting")) {
        window.location.reload();
      }
    }
  });

  if (form) {
    form.addEventListener("submit", function (event) {
      if (!live) { return; } // no socket: the form posts as usual
      event.preventDefault();
      var box = form.querySelector("textarea");
      socket.send(JSON.stringify({ body: box.value }));
      box.value = "";
    });
  }
})();
