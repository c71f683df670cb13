// The local emulator page: chats, identity switcher, messages, card forms and buttons, live updates.
"use strict";

const PALETTE = ["#3370ff", "#7f3bf5", "#00b2b2", "#f77234", "#2ea121", "#d83931", "#0d93e8", "#9f6fff", "#de7802"];
const state = { people: [], chats: [], me: "", chat: "", unread: {}, previews: {} };
const $ = (sel) => document.querySelector(sel);

function colorOf(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

function avatar(el, name, kind) {
  el.textContent = kind === "bot" ? "协" : (name || "?").slice(kind === "group" ? 0 : -2, kind === "group" ? 1 : undefined);
  el.className = `avatar${el.classList.contains("small") ? " small" : ""}${kind ? " " + kind : ""}`;
  if (kind !== "bot") el.style.background = colorOf(name || "?");
}

function person(id) { return state.people.find((p) => p.id === id); }
function p2p() { return `p2p:${state.me}`; }

function chatInfo(id) {
  if (id.startsWith("p2p:")) return { id, title: "协作机器人", sub: "私聊 · 所有消息都会发给机器人", kind: "bot" };
  const chat = state.chats.find((c) => c.id === id);
  if (!chat) return { id, title: id, sub: "", kind: "group" };
  const members = state.people.filter((p) => p.dept === chat.dept).length;
  return { id, title: chat.title, sub: `${members} 位成员 · 协作机器人 · 以 / 开头的消息发给机器人`, kind: "group" };
}

const TOKEN = document.querySelector('meta[name="xiezuo-token"]').content;

async function api(path, body) {
  const headers = { "X-Xiezuo-Token": TOKEN };
  const res = await fetch(path, body === undefined ? { headers } : {
    method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(await res.text());
  return res.json();
}

function toast(text, ok) {
  const el = $("#toast");
  el.textContent = text;
  el.className = `toast show${ok ? "" : " error"}`;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.className = `toast${ok ? "" : " error"}`; }, ok ? 1800 : 4000);
}

function renderUsers() {
  const select = $("#user-select");
  select.innerHTML = "";
  const groups = new Map();
  for (const p of state.people) {
    if (!groups.has(p.dept)) groups.set(p.dept, []);
    groups.get(p.dept).push(p);
  }
  for (const [dept, people] of groups) {
    const group = document.createElement("optgroup");
    group.label = dept || "未分配部门";
    for (const p of people) {
      const option = document.createElement("option");
      option.value = p.id;
      option.textContent = `${p.name}${p.head ? " · 负责人" : p.admin ? " · PMO" : ""}`;
      group.appendChild(option);
    }
    select.appendChild(group);
  }
  select.value = state.me;
  avatar($("#me-avatar"), person(state.me)?.name || state.me);
}

function renderChats() {
  const list = $("#chats");
  list.innerHTML = "";
  const mine = person(state.me)?.dept;
  const items = state.chats.map((c) => ({ id: c.id, title: c.title, kind: "group", own: c.dept === mine, pmo: c.pmo }));
  items.push({ id: p2p(), title: "协作机器人", kind: "bot", own: false, pmo: false });
  for (const item of items) {
    const li = document.createElement("li");
    li.className = `chat-item${item.id === state.chat ? " active" : ""}`;
    li.dataset.chat = item.id;
    const av = document.createElement("div");
    avatar(av, item.title, item.kind);
    const text = document.createElement("div");
    text.className = "chat-text";
    const name = document.createElement("div");
    name.className = "chat-name";
    name.textContent = item.title;
    const tag = item.kind === "bot" ? "私聊" : item.own ? "我的部门" : item.pmo ? "PMO" : "";
    if (tag) {
      const span = document.createElement("span");
      span.className = "chat-tag";
      span.textContent = tag;
      name.appendChild(span);
    }
    const preview = document.createElement("div");
    preview.className = "chat-preview";
    preview.textContent = state.previews[item.id] || (item.kind === "bot" ? "私聊机器人，直接输入命令" : "");
    text.append(name, preview);
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = state.unread[item.id] || "";
    li.append(av, text, badge);
    li.addEventListener("click", () => { drawer(false); openChat(item.id); });
    list.appendChild(li);
  }
}

function messageElement(m) {
  const mine = m.author_id && m.author_id === state.me;
  const el = document.createElement("div");
  el.className = `msg${mine ? " mine" : ""}${m.author_id ? "" : " bot"}`;
  el.dataset.id = m.id;
  const av = document.createElement("div");
  av.className = "avatar small";
  avatar(av, m.author_name, m.author_id ? "" : "bot");
  const main = document.createElement("div");
  main.className = "msg-main";
  const meta = document.createElement("div");
  meta.className = "msg-meta";
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = m.author_name;
  const time = document.createElement("span");
  time.textContent = new Date(m.at + (m.at.endsWith("Z") || m.at.includes("+") ? "" : "Z"))
    .toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" }) + (m.edited ? " · 已更新" : "");
  meta.append(name, time);
  main.appendChild(meta);
  if (m.html) {
    const holder = document.createElement("div");
    holder.innerHTML = m.html; // rendered by the server's autoescaping template
    main.appendChild(holder.firstElementChild);
  } else {
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = m.text;
    main.appendChild(bubble);
  }
  el.append(av, main);
  return el;
}

function showEmpty() {
  const box = $("#messages");
  if (box.children.length) return;
  const empty = document.createElement("div");
  empty.className = "empty";
  empty.textContent = "还没有消息。输入 /help 查看命令，或点下方「发起需求」。";
  box.appendChild(empty);
}

async function upcoming(open) {
  const panel = $("#upcoming");
  panel.hidden = !open;
  $("#upcoming-toggle").setAttribute("aria-expanded", String(open));
  if (!open) return;
  const list = $("#upcoming-list");
  list.innerHTML = "";
  const { items, more } = await api("/api/upcoming");
  for (const item of items) {
    const li = document.createElement("li");
    for (const [cls, text] of [["when", item.at], ["title", item.title], ["to", `发往：${item.to}`]]) {
      const div = document.createElement("div");
      div.className = cls;
      div.textContent = text;
      li.appendChild(div);
    }
    list.appendChild(li);
  }
  if (!items.length) list.innerHTML = "<li>接下来七天没有待发送的通知。</li>";
  if (more) {
    const li = document.createElement("li");
    li.textContent = `还有 ${more} 条……`;
    list.appendChild(li);
  }
}

function drawer(open) {
  $(".app").classList.toggle("drawer-open", open);
  $("#drawer-toggle").setAttribute("aria-expanded", String(open));
}

async function openChat(id) {
  state.chat = id;
  state.unread[id] = 0;
  localStorage.setItem("xiezuo.chat", id);
  const info = chatInfo(id);
  $("#chat-title").textContent = info.title;
  $("#chat-sub").textContent = info.sub;
  avatar($("#chat-avatar"), info.title, info.kind);
  $("#input").placeholder = `发送给 ${info.title}（/ 开头为命令，Enter 发送，Shift+Enter 换行）`;
  renderChats();
  const { messages } = await api(`/api/messages?chat=${encodeURIComponent(id)}`);
  if (state.chat !== id) return;
  const box = $("#messages");
  box.innerHTML = "";
  for (const m of messages) box.appendChild(messageElement(m));
  showEmpty();
  box.scrollTop = box.scrollHeight;
}

function receive(event) {
  const m = event.message;
  state.previews[m.chat] = m.preview;
  if (m.chat !== state.chat) {
    if (event.type === "message" && (!m.chat.startsWith("p2p:") || m.chat === p2p())) {
      state.unread[m.chat] = (state.unread[m.chat] || 0) + 1;
    }
    renderChats();
    return;
  }
  const box = $("#messages");
  box.querySelector(".empty")?.remove();
  const old = box.querySelector(`.msg[data-id="${m.id}"]`);
  const el = messageElement(m);
  if (old) {
    old.replaceWith(el);
    el.classList.add("flash");
  } else {
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.appendChild(el);
    if (atBottom || m.author_id === state.me) box.scrollTop = box.scrollHeight;
  }
  renderChats();
}

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  ws.onmessage = (e) => receive(JSON.parse(e.data));
  ws.onclose = () => setTimeout(connect, 1000);
}

async function say(text) {
  text = text.trim();
  if (!text) return;
  try {
    await api("/api/say", { chat: state.chat, user: state.me, text });
  } catch (err) {
    toast(`发送失败：${err.message}`, false);
  }
}

function formValues(form) {
  const values = {};
  for (const el of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    const value = el.value.trim();
    if (!value) continue;
    values[el.name] = el.dataset.kind === "text*" ? value.split("\n").map((s) => s.trim()).filter(Boolean) : value;
  }
  for (const group of form.querySelectorAll(".chips[data-name]")) {
    const chosen = [...group.querySelectorAll("input:checked")].map((i) => i.value);
    if (chosen.length) values[group.dataset.name] = chosen;
  }
  return values;
}

async function act(card, command, values, form = false) {
  const msg = card.closest(".msg");
  card.classList.add("busy");
  try {
    const res = await api("/api/action", { chat: state.chat, user: state.me, message_id: msg.dataset.id, command, values, form });
    if (res.toast) toast(res.toast, res.ok);
  } catch (err) {
    toast(`操作失败：${err.message}`, false);
  } finally {
    card.classList.remove("busy");
  }
}

function wire() {
  $("#user-select").addEventListener("change", (e) => {
    const wasP2p = state.chat.startsWith("p2p:");
    state.me = e.target.value;
    localStorage.setItem("xiezuo.me", state.me);
    avatar($("#me-avatar"), person(state.me)?.name || state.me);
    if (wasP2p) openChat(p2p()); else { renderChats(); openChat(state.chat); }
  });
  $("#drawer-toggle").addEventListener("click", () => drawer(!$(".app").classList.contains("drawer-open")));
  $("#backdrop").addEventListener("click", () => drawer(false));
  $("#upcoming-toggle").addEventListener("click", () => upcoming($("#upcoming").hidden));
  $("#upcoming-close").addEventListener("click", () => upcoming(false));
  $("#send").addEventListener("click", () => { say($("#input").value); $("#input").value = ""; });
  $("#input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      say(e.target.value);
      e.target.value = "";
    }
  });
  $("#shortcuts").addEventListener("click", (e) => {
    const text = e.target.closest("button")?.dataset.say;
    if (text) say(text);
  });
  const box = $("#messages");
  box.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-command]");
    if (!button) return;
    act(button.closest(".card"), button.dataset.command, JSON.parse(button.dataset.values || "{}"));
  });
  box.addEventListener("submit", (e) => {
    e.preventDefault();
    const form = e.target;
    const extra = JSON.parse(e.submitter?.dataset.values || "{}");
    act(form.closest(".card"), form.dataset.command, { ...formValues(form), ...extra }, true);
  });
}

async function start() {
  const data = await api("/api/state");
  state.people = data.people;
  state.chats = data.chats;
  for (const c of data.chats) state.previews[c.id] = c.preview;
  const saved = localStorage.getItem("xiezuo.me");
  state.me = person(saved) ? saved : (state.people[0]?.id || "访客");
  renderUsers();
  wire();
  connect();
  const chat = localStorage.getItem("xiezuo.chat");
  const own = state.chats.find((c) => c.dept === person(state.me)?.dept);
  await openChat(chat && (chat === p2p() || state.chats.some((c) => c.id === chat)) ? chat : (own || state.chats[0] || { id: p2p() }).id);
}

start();
