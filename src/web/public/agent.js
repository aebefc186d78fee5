// The agent console: sign in, live queue over WebSocket (views, search, notifications), claim,
// reply (quick replies per cause, canned responses with "/"), notes, transfer, resolve, order
// lookup with audited reveals and actions on the order, tickets. User data is always set as text.
(() => {
  const $ = (id) => document.getElementById(id);
  const TITLE = document.title;
  const FAILED = {
    400: '填写的内容不对，请检查后再试',
    401: '登录已过期，请重新登录',
    403: '页面已过期或没有权限，请刷新页面',
    404: '找不到了，可能已被处理或删除',
    409: '状态已经变了（可能别的客服刚处理过），请刷新',
    413: '内容太长了',
    429: '操作太频繁，请稍后再试',
    503: '系统暂时不可用，请过几分钟再试',
  };
  let csrf = '';
  let me = null;
  let current = null; // { kind: 'handoff' | 'ticket', id }
  let detail = null; // the open handoff as GET /handoffs/:id answered
  let agents = [];
  let ws = null;
  let timeZone = 'Asia/Shanghai'; // the shop's, from /me
  let causes = [];
  let variables = [];
  let view = 'queued';
  let lists = { queued: [], mine: [], others: [], ended: [], tickets: [] };
  let searching = '';
  // Notifications: queued handoffs and open tickets seen so far (a new one rings), the ones this agent
  // opened, and tickets filed since the console opened (the badge counts those not opened yet).
  const seen = new Set();
  const seenTickets = new Set();
  const freshTickets = new Set();
  const opened = new Set();
  let baseline = false;
  let soundOn = localStorage.getItem('agent.sound') !== 'off';
  let audio = null;

  const api = async (path, opts = {}) => {
    const res = await fetch(`/agent/api${path}`, {
      method: opts.method ?? 'GET',
      credentials: 'same-origin',
      headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...(opts.method && opts.method !== 'GET' ? { 'x-csrf-token': csrf } : {}) },
      body: opts.body ? JSON.stringify(opts.body) : undefined,
    });
    const json = await res.json().catch(() => ({}));
    if (res.status === 401 && path !== '/login') showLogin();
    // Agents read Chinese: the server's own sentence for them, or one by status; `code` keeps the API's error.
    if (!res.ok) throw Object.assign(new Error(json.message || FAILED[res.status] || `出错了（HTTP ${res.status}）`), { status: res.status, code: json.error });
    return json;
  };
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const button = (text, cls, onclick) => {
    const b = el('button', cls, text);
    b.type = 'button';
    if (onclick) b.onclick = onclick;
    return b;
  };
  const time = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', { timeZone, hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '');
  const waited = (sec) => (sec < 60 ? `${sec} 秒` : sec < 3600 ? `${Math.floor(sec / 60)} 分钟` : `${Math.floor(sec / 3600)} 小时 ${Math.floor((sec % 3600) / 60)} 分钟`);
  const CHANNEL = { directline: '网页', wechat: '公众号', wecom: '企业微信', emulator: 'Emulator', msteams: 'Teams' };
  const STATE = { queued: '排队中', assigned: '接待中', resolved: '已结束', canceled: '已取消' };
  const PRIORITY = { 3: '紧急', 2: '较急', 1: '普通' };
  const PLACEHOLDER = /\{([^{}\s]{1,12})\}/g;
  const typing = (t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

  function showLogin() {
    $('desk').hidden = true;
    $('login').hidden = false;
    document.title = TITLE;
    // The next agent at this screen starts clean: no search left from the last one.
    $('search').value = '';
    searching = '';
    if (ws) ws.close();
  }

  async function start() {
    try {
      const info = await api('/me');
      csrf = info.csrf;
      me = info.agent;
      timeZone = info.timeZone || timeZone;
      causes = info.causes || [];
      variables = info.variables || [];
      $('me').textContent = me.displayName;
      $('outcome').replaceChildren(...info.outcomes.map((o) => Object.assign(el('option', '', o.label), { value: o.id })));
      renderQuick(info.quickReplies, false);
      $('login').hidden = true;
      $('desk').hidden = false;
      setView(view);
      updateAlerts();
      connect();
      await refresh();
    } catch {
      showLogin();
    }
  }

  function connect() {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/agent/ws`);
    ws.onmessage = (e) => {
      const ev = JSON.parse(e.data);
      if (ev.type === 'presence') {
        $('presence').textContent = `在线客服 ${ev.online} 人`;
        void refreshAgents();
      }
      if (ev.type === 'changed') void refresh();
      // A ticket filed (by the bot too), claimed or answered, on any instance.
      if (ev.type === 'ticket') void refresh();
      if (ev.type === 'message' && current?.kind === 'handoff' && ev.handoffId === current.id) addMessage(ev.message);
      if (ev.type === 'buyer') {
        if (current?.kind === 'handoff' && ev.handoffId === current.id) addLine({ direction: 'in', sender: '买家', text: ev.text, at: ev.at });
        void refresh();
      }
    };
    // Presence comes from the socket itself (a queue fetched before it opened would say 0).
    ws.onopen = () => refresh();
    ws.onclose = () => {
      if (!$('desk').hidden) setTimeout(connect, 2000);
    };
  }

  async function refreshAgents() {
    agents = (await api('/agents')).agents;
    const others = agents.filter((x) => x.id !== me.id && x.online);
    // Only agents who are here can take a buyer; with nobody else online, say so.
    $('transfer-to').replaceChildren(
      ...(others.length
        ? others.map((x) => Object.assign(el('option', '', x.displayName), { value: x.id }))
        : [Object.assign(el('option', '', '没有其他在线客服'), { value: '' })]),
    );
    $('transfer-to').disabled = others.length === 0;
    $('transfer').disabled = others.length === 0;
    $('transfer').title = others.length === 0 ? '没有其他在线客服可以转接' : '';
  }

  async function refresh() {
    const [q, t] = await Promise.all([api('/queue'), api('/tickets'), refreshAgents()]);
    const fetchedAt = Date.now();
    for (const h of [...q.queued, ...q.mine, ...q.others]) h.since = fetchedAt - h.waitingSec * 1000;
    lists = { ...lists, queued: q.queued, mine: q.mine, others: q.others, tickets: t.tickets };
    if (view === 'ended') lists.ended = (await api('/conversations?view=ended')).conversations;
    if (searching) await runSearch(searching);
    announce(q.queued, t.tickets);
    renderLists();
    if (current?.kind === 'handoff') await openHandoff(current.id, true);
    else if (current?.kind === 'ticket') await openTicket(current.id, true);
  }

  // ---- notifications: a badge in the tab title, a short beep, a desktop notification ----

  function announce(queued, tickets) {
    const fresh = queued.filter((h) => !seen.has(h.id));
    for (const h of queued) seen.add(h.id);
    const newTickets = tickets.filter((t) => !seenTickets.has(t.id));
    for (const t of tickets) seenTickets.add(t.id);
    if (baseline) for (const t of newTickets) freshTickets.add(t.id);
    if (baseline && (fresh.length || newTickets.length)) {
      beep();
      notifyDesktop(fresh, newTickets);
    }
    baseline = true;
    updateBadge();
  }

  function updateBadge() {
    const open = new Set(lists.tickets.map((t) => t.id));
    const n = lists.queued.filter((h) => !opened.has(h.id)).length + [...freshTickets].filter((id) => open.has(id) && !opened.has(id)).length;
    document.title = n ? `(${n}) ${TITLE}` : TITLE;
  }

  function unlockAudio() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    if (!audio) audio = new AC();
    if (audio.state === 'suspended') void audio.resume().catch(() => {});
  }

  function beep() {
    if (!soundOn) return;
    try {
      unlockAudio();
      if (!audio) return;
      const t = audio.currentTime;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(880, t);
      osc.frequency.setValueAtTime(1175, t + 0.12);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.32);
    } catch {
      // no sound on this device: the title and the notification still say it
    }
  }

  function notifyDesktop(fresh, newTickets = []) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    for (const t of newTickets.slice(0, 3)) {
      try {
        const n = new Notification(`新工单 ${t.id}`, { body: `${t.orderNo ? `订单 ${t.orderNo}` : '没有订单号'} · ${t.causeLabel || t.symptom}`, tag: `ticket-${t.id}` });
        n.onclick = () => {
          window.focus();
          void openTicket(t.id);
          n.close();
        };
      } catch {
        // some browsers allow notifications only from a service worker
      }
    }
    for (const h of fresh.slice(0, 3)) {
      try {
        const n = new Notification('有买家在排队等人工', { body: `${h.orderNo ? `订单 ${h.orderNo}` : '没有订单号'} · ${h.label || h.reason}`, tag: `handoff-${h.id}` });
        n.onclick = () => {
          window.focus();
          void openHandoff(h.id);
          n.close();
        };
      } catch {
        // some browsers allow notifications only from a service worker
      }
    }
  }

  function updateAlerts() {
    const b = $('alerts');
    if (!('Notification' in window)) {
      b.textContent = '浏览器不支持桌面通知';
      b.disabled = true;
      return;
    }
    const p = Notification.permission;
    b.textContent = p === 'granted' ? '提醒已开启' : p === 'denied' ? '通知被浏览器拦截' : '开启提醒';
    b.disabled = p !== 'default';
    $('sound').textContent = soundOn ? '声音：开' : '声音：关';
    $('sound').setAttribute('aria-pressed', String(soundOn));
  }

  $('alerts').onclick = async () => {
    unlockAudio();
    // Asked only here, from the agent's click: never on load.
    if ('Notification' in window && Notification.permission === 'default') await Notification.requestPermission().catch(() => undefined);
    updateAlerts();
  };
  $('sound').onclick = () => {
    soundOn = !soundOn;
    localStorage.setItem('agent.sound', soundOn ? 'on' : 'off');
    if (soundOn) beep();
    updateAlerts();
  };
  // Browsers let a page play sound after the user interacted with it.
  document.addEventListener('pointerdown', unlockAudio);
  document.addEventListener('keydown', unlockAudio);

  // Every change comes over the socket; a refetch every 30 seconds covers a socket that was down for a while.
  setInterval(() => {
    if (!$('desk').hidden && document.visibilityState !== 'hidden') void refresh().catch(() => undefined);
  }, 30_000);

  // The waiting time counts live.
  setInterval(() => {
    for (const s of document.querySelectorAll('.waiting[data-since]')) s.textContent = `等了 ${waited(Math.max(0, Math.round((Date.now() - Number(s.dataset.since)) / 1000)))}`;
  }, 1000);

  // ---- lists, views, search ----

  function setView(v) {
    view = v;
    for (const b of document.querySelectorAll('.views button')) {
      b.classList.toggle('active', b.dataset.view === v);
      b.setAttribute('aria-selected', String(b.dataset.view === v));
    }
    for (const s of document.querySelectorAll('.queue section[data-views]')) s.hidden = !!searching || !s.dataset.views.split(' ').includes(v);
    $('search-results').hidden = !searching;
    if (v === 'ended' && !searching) void loadEnded();
  }
  async function loadEnded() {
    lists.ended = (await api('/conversations?view=ended')).conversations;
    renderLists();
  }
  // A view tab leaves the search: its list is what the agent asked to see.
  for (const b of document.querySelectorAll('.views button'))
    b.onclick = () => {
      if (searching || $('search').value) {
        $('search').value = '';
        searching = '';
      }
      setView(b.dataset.view);
    };

  function renderLists() {
    $('count-queued').textContent = lists.queued.length || '';
    $('count-mine').textContent = lists.mine.length || '';
    $('count-tickets').textContent = lists.tickets.length || '';
    renderList('list-queued', lists.queued, 'handoff', '没有排队的买家');
    renderList('list-mine', lists.mine, 'handoff', '你现在没有接待中的会话');
    renderList('list-others', lists.others, 'handoff', '其他客服没有接待中的会话');
    renderList('list-ended', lists.ended, 'handoff', '还没有结束的会话');
    renderList('list-tickets', lists.tickets, 'ticket', '没有待回复的工单');
  }

  function renderList(id, items, kind, emptyText) {
    const list = $(id);
    // An empty list says why in CSS (ul:empty::before), never with an item of its own.
    list.dataset.empty = emptyText;
    list.replaceChildren(
      ...items.map((h) => {
        const li = el('li', current?.id === h.id ? 'active' : '');
        li.dataset.id = h.id;
        li.dataset.kind = kind;
        const l1 = el('div', 'line1');
        if (kind === 'handoff') {
          const ended = h.state === 'resolved' || h.state === 'canceled';
          l1.append(
            el('span', 'no', h.orderNo || '未提供订单号'),
            ended || id === 'list-search'
              ? el('span', 'muted small', STATE[h.state] || h.state)
              : el('span', h.priority >= 3 ? 'prio' : 'muted small', h.priority >= 3 ? '加急' : CHANNEL[h.channelId] || h.channelId),
          );
          const l2 = el('div', 'muted small');
          l2.append(document.createTextNode(h.label || h.reason));
          if (h.state === 'queued') {
            const w = el('span', 'waiting', `等了 ${waited(h.waitingSec)}`);
            if (h.since) w.dataset.since = String(h.since);
            l2.append(document.createTextNode(' · '), w);
          }
          if (h.agentName && h.state === 'assigned') l2.append(document.createTextNode(` · ${h.agentName}`));
          if (ended)
            l2.append(document.createTextNode(` · ${time(h.resolvedAt || h.createdAt)}${h.outcomeLabel ? ` · ${h.outcomeLabel}` : ''}${h.rating ? ` · ${h.rating} 分` : ''}`));
          li.append(l1, l2);
          if (h.match) li.append(el('div', 'match small', h.match));
          li.onclick = () => openHandoff(h.id);
        } else {
          l1.append(el('span', 'no', h.id), el('span', h.priority >= 3 ? 'prio' : 'muted small', h.priority >= 2 ? PRIORITY[h.priority] : `${time(h.dueAt)} 前`));
          li.append(l1, el('div', 'muted small', `${h.claimedByName ? `${h.claimedByName} 处理中 · ` : ''}${h.symptom.slice(0, 40)}`));
          if (freshTickets.has(h.id) && !opened.has(h.id)) li.classList.add('fresh');
          li.onclick = () => openTicket(h.id);
        }
        return li;
      }),
    );
  }

  let searchTimer = 0;
  async function runSearch(q) {
    const r = await api(`/conversations?q=${encodeURIComponent(q)}`);
    if (searching !== q) return;
    $('search-count').textContent = `${r.conversations.length} 个`;
    renderList('list-search', r.conversations, 'handoff', '没找到：试试完整的订单号、手机号，或买家说过的一句话');
  }
  function search(value) {
    const q = value.trim();
    searching = [...q].length >= 2 ? q : '';
    setView(view);
    if (searching) void runSearch(searching).catch((err) => $('list-search').replaceChildren(el('li', 'error small', err.message)));
  }
  $('search').oninput = (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(e.target.value), 250);
  };
  $('search').onkeydown = (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(searchTimer);
      search(e.target.value);
    }
    if (e.key === 'Escape') {
      e.target.value = '';
      search('');
    }
  };

  // ---- the conversation ----

  /** A definition list of [label, value] pairs; pairs without a value are left out. */
  function showFacts(id, facts) {
    $(id).replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', '', k), el('dd', '', String(v))]));
  }

  function addLine(l, list = $('timeline')) {
    const cls = l.direction === 'in' ? 'in' : l.sender.startsWith('agent') ? 'agent' : 'bot';
    const li = el('li', cls);
    // An agent's line says who once: "客服 小王 · 14:05", then the text without the "客服 小王：" the buyer saw.
    const agent = cls === 'agent' ? l.sender.slice('agent:'.length) : '';
    const who = l.direction === 'in' ? '买家' : cls === 'agent' ? `客服${agent ? ` ${agent}` : ''}` : '机器人';
    const text = agent && l.text.startsWith(`客服 ${agent}：`) ? l.text.slice(`客服 ${agent}：`.length) : l.text;
    li.append(el('span', 'who', `${who} · ${time(l.at)}`), document.createTextNode(text));
    list.append(li);
    list.scrollTop = list.scrollHeight;
  }
  function addMessage(m) {
    if (m.kind === 'agent') return addLine({ direction: 'out', sender: `agent:${m.agentName || ''}`, text: m.text, at: m.at });
    const li = el('li', m.kind === 'note' ? 'note' : 'system');
    if (m.kind === 'note') li.append(el('span', 'who', `内部备注 · ${m.agentName || ''} · ${time(m.at)}`));
    li.append(document.createTextNode(m.text));
    $('timeline').append(li);
    $('timeline').scrollTop = $('timeline').scrollHeight;
  }

  /** Another conversation or ticket is opened: nothing looked up or revealed for the last one stays on screen. */
  function switchTo(next) {
    const switching = current?.kind !== next?.kind || current?.id !== next?.id;
    current = next;
    if (switching) {
      detail = null;
      // Nothing of the last conversation stays in the side panel: facts, ladder, history, notes of the model, files.
      for (const x of ['facts', 'ladder', 'earlier', 'assist-summary', 'assist-replies', 'files']) $(x).replaceChildren();
      $('assist').hidden = true;
      $('conv-context').hidden = next?.kind === 'ticket';
      $('lookup-result').replaceChildren();
      $('lookup-no').value = '';
      $('reply-warn').hidden = true;
      $('resolve-hint').hidden = true;
      closeMenu();
      resolveArmed = false;
    }
    for (const li of document.querySelectorAll('.queue li[data-id]')) {
      li.classList.toggle('active', li.dataset.id === next?.id);
      if (li.dataset.id === next?.id) li.classList.remove('fresh');
    }
  }

  function renderQuick(replies, enabled) {
    $('quick').replaceChildren(
      ...(replies || []).map((q) => {
        const b = button(q, '', () => {
          $('reply').value = q;
          $('reply').focus();
          checkPlaceholders();
        });
        b.title = q;
        b.disabled = !enabled;
        return b;
      }),
    );
  }

  async function openHandoff(id, keepScroll) {
    switchTo({ kind: 'handoff', id });
    opened.add(id);
    updateBadge();
    const d = await api(`/handoffs/${encodeURIComponent(id)}`);
    if (current?.kind !== 'handoff' || current.id !== id) return;
    detail = d;
    $('empty').hidden = true;
    $('ticket-view').hidden = true;
    $('view').hidden = false;
    const h = d.handoff;
    $('conv-title').textContent = h.orderNo ? `订单 ${h.orderNo}` : '未提供订单号';
    $('conv-state').textContent = h.state === 'assigned' ? (h.agentName ? `${h.agentName} 接待中` : '接待中') : STATE[h.state] || h.state;
    $('conv-sub').textContent = `${CHANNEL[h.channelId] || h.channelId} · ${h.label || h.reason} · 发起于 ${time(h.createdAt)}`;
    const ended = h.state === 'resolved' || h.state === 'canceled';
    // An ended conversation is read-only: its history, how it ended and the buyer's rating.
    $('conv-result').hidden = !ended;
    $('conv-result').textContent = ended
      ? `只读 · ${time(h.resolvedAt)} 结束 · 处理结果：${h.outcomeLabel || '—'} · ${h.rating ? `买家评分 ${h.rating} 分${h.ratingComment ? `（${h.ratingComment}）` : ''}` : '买家未评分'}`
      : '';
    const mine = h.state === 'assigned' && h.agentId === me.id;
    $('claim').hidden = h.state !== 'queued';
    for (const x of ['transfer-to', 'transfer', 'outcome', 'resolve']) $(x).hidden = !mine;
    $('reply-form').hidden = !mine;
    $('quick').hidden = !mine;
    $('unreachable').hidden = d.reachable || ended;
    renderQuick(d.quickReplies, mine);
    const scroll = $('timeline').scrollTop;
    $('timeline').replaceChildren();
    // Transcript and notes in time order.
    const items = [...d.transcript.map((l) => ({ at: l.at, line: l })), ...d.notes.map((m) => ({ at: m.at, msg: m }))].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    for (const it of items) it.line ? addLine(it.line) : addMessage(it.msg);
    if (keepScroll) $('timeline').scrollTop = scroll;
    const c = d.context || {};
    const facts = [
      ['订单号', c.orderNo],
      ['付款时间', c.paymentTime && time(c.paymentTime)],
      ['商品类型', c.productLabel],
      ['当时诊断', c.causeLabel],
      ['阶段', c.stepLabel],
      ['工单', c.ticketId],
      ['联系方式', c.contact],
      ['买家', c.buyer?.id],
    ];
    // The status is read again whenever the conversation is shown; the diagnosis is from when the buyer asked.
    if (c.order)
      facts.push(
        ['订单状态', `${c.statusLabel || c.order.status}${c.orderLive ? '（刚查的）' : '（转人工时）'}`],
        ['商品', c.order.title],
        ['金额', c.order.amount && `¥${c.order.amount}`],
      );
    if (c.timeline) facts.push(['进度', c.timeline]);
    showFacts('facts', facts);
    $('ladder').replaceChildren(...(c.ladder || []).map((l) => el('li', '', `${l.label} · ${time(l.at)}`)));
    $('earlier').replaceChildren(
      ...(d.earlier || []).map((e) => {
        const li = el('li');
        const a = button(
          `${time(e.createdAt)} · ${e.orderNo ? `订单 ${e.orderNo}` : '未提供订单号'} · ${e.outcomeLabel || STATE[e.state] || e.state}${e.rating ? ` · ${e.rating} 分` : ''}`,
          'link',
        );
        a.onclick = () => openHandoff(e.id);
        li.append(a);
        return li;
      }),
    );
    // The model's notes for the agent (checked server-side); a suggestion only fills the reply box.
    const assist = c.assist;
    $('assist').hidden = !assist;
    $('assist-summary').replaceChildren(...(assist?.summary || []).map((line) => el('li', '', line)));
    $('assist-replies').replaceChildren(
      ...(assist?.suggestions || []).map((q) => {
        const b = button(q, '', () => {
          $('reply').value = q;
          $('reply').focus();
        });
        b.title = q;
        b.disabled = !mine;
        return b;
      }),
    );
    $('files').replaceChildren(
      ...d.attachments.map((f) => {
        const li = el('li');
        const a = el('a', '', f.name);
        a.href = f.url;
        a.target = '_blank';
        a.rel = 'noopener';
        li.append(a);
        return li;
      }),
    );
    if (c.orderNo && !$('lookup-no').value) $('lookup-no').value = c.orderNo;
    if (menu) showMenu();
  }

  // ---- canned responses in the reply box: "/" + words ----

  let menu = null; // { items, index, start, end }
  function slash() {
    const ta = $('reply');
    const before = ta.value.slice(0, ta.selectionStart);
    const m = before.match(/(?:^|\s)\/([^\s/]*)$/);
    return m ? { query: m[1], start: before.length - m[1].length - 1, end: ta.selectionStart } : null;
  }
  function showMenu() {
    const s = slash();
    if (!s || !detail || $('reply-form').hidden) return closeMenu();
    const q = s.query.toLowerCase();
    const items = (detail.canned || []).filter((c) => !q || c.title.toLowerCase().includes(q) || c.body.toLowerCase().includes(q)).slice(0, 8);
    menu = { items, index: Math.min(menu?.index ?? 0, Math.max(0, items.length - 1)), start: s.start, end: s.end };
    const list = $('canned-menu');
    list.replaceChildren(
      ...(items.length
        ? items.map((c, i) => {
            const li = el('li', i === menu.index ? 'active' : '');
            li.append(el('strong', '', c.title), el('span', 'muted', ` ${c.text}`));
            if (c.suggested) li.prepend(el('span', 'tag', '推荐'));
            li.onmousedown = (e) => {
              e.preventDefault();
              insertCanned(i);
            };
            return li;
          })
        : [el('li', 'muted', (detail.canned || []).length ? '没有匹配的常用回复' : '还没有常用回复：点右上角“常用回复”添加')]),
    );
    list.hidden = false;
  }
  function closeMenu() {
    menu = null;
    $('canned-menu').hidden = true;
  }
  function insertCanned(i) {
    const c = menu?.items[i];
    if (!c) return closeMenu();
    const ta = $('reply');
    ta.value = ta.value.slice(0, menu.start) + c.text + ta.value.slice(menu.end);
    const at = menu.start + c.text.length;
    closeMenu();
    ta.focus();
    ta.setSelectionRange(at, at);
    checkPlaceholders(c.unfilled);
  }

  // A variable the conversation could not fill stays as typed, and is flagged until it is gone.
  const why = {};
  let confirmed = '';
  function checkPlaceholders(unfilled) {
    for (const u of unfilled || []) why[u.name] = u.why;
    const left = [...new Set([...$('reply').value.matchAll(PLACEHOLDER)].map((m) => m[1]))];
    const warn = $('reply-warn');
    warn.hidden = left.length === 0;
    warn.textContent = left.length ? `还没填的变量：${left.map((n) => `{${n}}${why[n] ? `（${why[n]}）` : ''}`).join('、')}。请改成具体内容再发。` : '';
    return left;
  }

  const send = async (asNote) => {
    const text = $('reply').value.trim();
    if (!text || !current) return;
    const left = checkPlaceholders();
    if (left.length && confirmed !== text && !asNote) {
      confirmed = text;
      $('reply-warn').textContent += ' 确定原样发出的话再按一次发送。';
      return;
    }
    try {
      await api(`/handoffs/${current.id}/${asNote ? 'notes' : 'messages'}`, { method: 'POST', body: { text } });
      $('reply').value = '';
      confirmed = '';
      checkPlaceholders();
    } catch (err) {
      $('reply-warn').hidden = false;
      $('reply-warn').textContent = err.code === 'claim the conversation first' ? '先接入这个会话' : err.message;
    }
  };
  $('reply-form').onsubmit = (e) => {
    e.preventDefault();
    void send(false);
  };
  $('note').onclick = () => send(true);
  $('reply').oninput = () => {
    showMenu();
    checkPlaceholders();
  };
  $('reply').onkeydown = (e) => {
    if (menu && !e.ctrlKey && !e.metaKey && !e.altKey) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (menu.items.length) menu.index = (menu.index + (e.key === 'ArrowDown' ? 1 : menu.items.length - 1)) % menu.items.length;
        showMenu();
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        // Nothing matches: the "/words" stay in the box to edit; they are never sent as they are.
        if (menu.items.length) insertCanned(menu.index);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        closeMenu();
        return;
      }
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.isComposing) {
      e.preventDefault();
      void send(false);
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing) {
      e.preventDefault();
      void send(false);
    }
  };
  $('reply').onblur = () => setTimeout(closeMenu, 150);

  // ---- claim, transfer, resolve ----

  $('claim').onclick = async () => {
    try {
      await api(`/handoffs/${current.id}/claim`, { method: 'POST' });
      setView('mine');
    } catch (err) {
      alert(err.code === 'already taken' ? '已被其他客服接入' : err.message);
    }
    await refresh();
  };
  $('transfer').onclick = async () => {
    if (!$('transfer-to').value) return;
    try {
      await api(`/handoffs/${current.id}/transfer`, { method: 'POST', body: { agentId: $('transfer-to').value } });
    } catch (err) {
      alert(err.message);
    }
    await refresh();
  };
  let resolveArmed = false;
  async function resolve() {
    if (current?.kind !== 'handoff') return;
    resolveArmed = false;
    $('resolve-hint').hidden = true;
    try {
      const r = await api(`/handoffs/${current.id}/resolve`, { method: 'POST', body: { outcome: $('outcome').value } });
      if (r.ticketId) {
        $('resolve-hint').hidden = false;
        $('resolve-hint').textContent =
          `已转店铺处理，工单 ${r.ticketId}（${time(r.dueAt)} 前回复），${r.delivered ? '买家已收到说明。' : '但这个渠道收不到客服的消息：请用别的方式告诉买家。'}`;
      }
    } catch (err) {
      alert(err.message);
    }
    await refresh();
  }
  $('resolve').onclick = () => resolve();
  $('outcome').onkeydown = (e) => {
    if (e.key === 'Enter' && resolveArmed) {
      e.preventDefault();
      void resolve();
    }
  };
  /** Ctrl/Cmd+Shift+E: first to the outcome, then (again, or Enter) resolve with it. */
  function resolveShortcut() {
    if (current?.kind !== 'handoff' || $('resolve').hidden) return;
    if (resolveArmed) return void resolve();
    resolveArmed = true;
    $('outcome').focus();
    $('resolve-hint').hidden = false;
    $('resolve-hint').textContent = '选好处理结果，再按 Ctrl+Shift+E（或 Enter）结束会话；Esc 取消。';
  }

  // ---- tickets ----

  async function openTicket(id, again) {
    switchTo({ kind: 'ticket', id });
    opened.add(id);
    updateBadge();
    const { ticket: t, transcript } = await api(`/tickets/${encodeURIComponent(id)}`);
    if (current?.kind !== 'ticket' || current.id !== id) return;
    $('empty').hidden = true;
    $('view').hidden = true;
    $('ticket-view').hidden = false;
    $('ticket-title').textContent = `工单 ${t.id}`;
    $('ticket-prio').textContent = `${PRIORITY[t.priority] || '普通'}`;
    $('ticket-prio').className = `pill${t.priority >= 3 ? ' hot' : ''}`;
    const open = t.status === 'open';
    $('ticket-sub').textContent = `${open ? (t.claimedByName ? `${t.claimedByName} 处理中` : '还没人认领') : '已答复'} · ${time(t.dueAt)} 前回复`;
    const mine = t.claimedBy === me.id;
    $('ticket-claim').hidden = !open;
    $('ticket-claim').disabled = !!t.claimedBy;
    $('ticket-claim').textContent = mine ? '已认领' : t.claimedBy ? `${t.claimedByName || '其他客服'} 已认领` : '认领';
    $('ticket-form').hidden = !open;
    const facts = [
      ['订单号', t.orderNo],
      ['付款时间', t.paymentTime && time(t.paymentTime)],
      ['诊断', t.causeLabel],
      ['问题', t.symptom],
      ['机器人说过', t.told],
      ['渠道', CHANNEL[t.channelId] || t.channelId],
      ['回复期限', time(t.dueAt)],
      ['能否送达', t.reachable ? '能' : '不能（请另行联系）'],
      ['答复', t.answer],
    ];
    showFacts('ticket-facts', facts);
    const list = $('ticket-timeline');
    list.replaceChildren();
    for (const l of transcript) addLine(l, list);
    if (!transcript.length) list.append(el('li', 'system', '这个工单没有聊天记录'));
    if (!again && t.orderNo) $('lookup-no').value = t.orderNo;
  }
  $('ticket-claim').onclick = async () => {
    try {
      await api(`/tickets/${current.id}/claim`, { method: 'POST' });
    } catch (err) {
      $('ticket-error').textContent = err.message;
    }
    await refresh();
  };
  $('ticket-form').onsubmit = async (e) => {
    e.preventDefault();
    const text = $('ticket-answer').value.trim();
    if (!text) return;
    try {
      await api(`/tickets/${current.id}/answer`, { method: 'POST', body: { text } });
    } catch (err) {
      $('ticket-error').textContent = err.message;
      return;
    }
    $('ticket-answer').value = '';
    $('ticket-error').textContent = '';
    $('ticket-view').hidden = true;
    $('empty').hidden = false;
    switchTo(null);
    await refresh();
  };

  // ---- the order: lookup, audited reveal, actions ----

  async function lookup(no, message) {
    const out = $('lookup-result');
    out.replaceChildren();
    if (!no) return;
    // Answers that arrive after the agent moved on are dropped, never shown under another conversation.
    const asked = current;
    const stillHere = () => current?.kind === asked?.kind && current?.id === asked?.id;
    let r;
    try {
      r = await api(`/orders/${encodeURIComponent(no)}`);
    } catch (err) {
      if (stillHere()) out.append(el('div', 'error', err.code === 'no such order' ? '查不到这个订单' : err.message));
      return;
    }
    if (!stillHere()) return;
    out.replaceChildren();
    if (message) out.append(el('div', 'ok', message));
    const d = r.diagnosis;
    out.append(el('div', 'order-line', `${r.order.title} · ${r.statusLabel} · ¥${r.order.amount}`), el('div', 'muted', `诊断：${d.causeLabel}（${d.stepLabel}）`));
    const items = r.order.delivery?.items || [];
    if (items.length) out.append(el('div', 'muted', `卡密：${items.map((i) => i.masked || '****').join('、')}`));
    // A code to show only where the order delivers codes (not a top-up receipt or a waybill).
    if (['card_codes', 'license_key'].includes(r.order.delivery?.kind) && items.length) out.append(revealForm(r.order.orderNo || no, stillHere));
    out.append(actionForms(r.order.orderNo || no, r.order));
  }
  $('lookup-form').onsubmit = (e) => {
    e.preventDefault();
    void lookup($('lookup-no').value.trim());
  };

  /** Showing a code needs a reason (2–200 characters), written to the audit log: asked inline, not in a browser prompt. */
  function revealForm(no, stillHere) {
    const box = el('div', 'reveal');
    const open = button('查看卡密（会记录）');
    const form = el('form', 'inline-form');
    form.noValidate = true;
    form.hidden = true;
    const reason = el('input');
    reason.id = 'reveal-reason';
    reason.placeholder = '查看原因（必填，会记入审计日志）';
    reason.maxLength = 200;
    reason.setAttribute('aria-label', '查看原因');
    reason.dataset.testid = 'reveal-reason';
    const ok = el('button', 'primary', '确认');
    ok.type = 'submit';
    const cancel = button('取消', '', () => {
      form.hidden = true;
      open.hidden = false;
    });
    const err = el('div', 'error small');
    form.append(reason, ok, cancel, err);
    open.onclick = () => {
      form.hidden = false;
      open.hidden = true;
      reason.focus();
    };
    form.onsubmit = async (e) => {
      e.preventDefault();
      const why = reason.value.trim();
      if ([...why].length < 2) {
        err.textContent = '写一下为什么要看（2–200 字），会记入审计日志';
        reason.focus();
        return;
      }
      try {
        const v = await api(`/orders/${encodeURIComponent(no)}/reveal`, { method: 'POST', body: { reason: why } });
        if (!stillHere()) return;
        form.hidden = true;
        const list = v.delivery.items || [];
        box.append(el('pre', '', list.map((i) => i.plaintext || i.masked).join('\n') || JSON.stringify(v.delivery)));
      } catch (e2) {
        err.textContent = e2.message;
      }
    };
    box.append(open, form);
    return box;
  }

  /** 补发卡密 / 记录退款 / 给买家留言: recorded for the order; the bot's answers say it from now on. */
  function actionForms(no, order) {
    const box = el('div', 'order-actions');
    const make = (title, kind, testid, fields, collect, submitText) => {
      const det = el('details', 'act');
      det.append(el('summary', '', title));
      const form = el('form', 'act-form');
      form.noValidate = true;
      form.dataset.testid = testid;
      const err = el('div', 'error small');
      const submit = el('button', 'primary', submitText);
      submit.type = 'submit';
      form.append(...fields, submit, err);
      form.onsubmit = async (e) => {
        e.preventDefault();
        const body = collect(err);
        if (!body) return;
        submit.disabled = true;
        try {
          const r = await api(`/orders/${encodeURIComponent(no)}/actions`, {
            method: 'POST',
            body: { kind, ...body, ...(current?.kind === 'handoff' ? { handoffId: current.id } : {}) },
          });
          // The order as it is now (GET /orders/:orderNo), with what was done.
          await lookup(no, `已记录：${r.action.description}`);
        } catch (e2) {
          err.textContent = e2.message;
        } finally {
          submit.disabled = false;
        }
      };
      det.append(form);
      return det;
    };
    const field = (tag, name, placeholder, value) => {
      const f = el(tag);
      f.name = name;
      f.placeholder = placeholder;
      f.setAttribute('aria-label', placeholder);
      if (tag === 'textarea') f.rows = 3;
      if (value) f.value = value;
      return f;
    };
    const codes = field('textarea', 'codes', '新卡密，一行一个');
    const reason = field('input', 'reason', '补发原因（必填）');
    // Only an order that delivers codes can have one re-issued; with several, the agent picks the bad ones.
    const held = order.delivery && ['card_codes', 'license_key'].includes(order.delivery.kind) ? order.delivery.items || [] : order.delivery ? null : [];
    const picks = (held || []).map((item, i) => {
      const box = Object.assign(el('input'), { type: 'checkbox', value: String(i + 1) });
      const label = el('label', 'pick small');
      label.append(box, document.createTextNode(` 换掉第 ${i + 1} 张 ${item.masked || ''}`));
      return { box, label };
    });
    const pickBox = el('fieldset', 'picks');
    pickBox.append(el('legend', 'small muted', '新卡密换掉哪几张（不勾：全部换成新的）'), ...picks.map((p) => p.label));
    const amount = field('input', 'amount', `退款金额（不填为全额 ¥${order.amount}）`);
    amount.inputMode = 'decimal';
    const channel = field('input', 'channel', '退款去向', '原路退回');
    const text = field('textarea', 'text', '给买家的留言：机器人之后回答这笔订单时会转告');
    const reissue = make(
      '补发卡密',
      'reissue_code',
      'reissue-form',
      picks.length > 1 ? [codes, pickBox, reason] : [codes, reason],
      (err) => {
        const list = codes.value
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
        if (!list.length || list.some((c) => c.length < 4)) return void (err.textContent = '每行一个卡密（至少 4 位）');
        const replaces = picks.filter((p) => p.box.checked).map((p) => Number(p.box.value));
        if (replaces.length && replaces.length !== list.length) return void (err.textContent = `勾了 ${replaces.length} 张，就写 ${replaces.length} 个新卡密（一行一个）`);
        if (!replaces.length && picks.length > 1 && list.length < picks.length) return void (err.textContent = `这笔订单有 ${picks.length} 张卡密：勾选新卡密换掉的是哪几张`);
        if ([...reason.value.trim()].length < 2) return void (err.textContent = '写一下补发原因（2–200 字）');
        return { codes: list, reason: reason.value.trim(), ...(replaces.length ? { replaces } : {}) };
      },
      '确认补发',
    );
    box.append(
      ...(held ? [reissue] : []),
      make(
        '记录退款',
        'refund',
        'refund-form',
        [amount, channel],
        (err) => {
          const a = amount.value.trim();
          if (a && !/^\d+(\.\d{1,2})?$/.test(a)) return void (err.textContent = '金额写成 12 或 12.50 这样，不填就是全额');
          if (!channel.value.trim()) return void (err.textContent = '写一下退到哪里（原路退回、微信零钱…）');
          return { ...(a ? { amount: a } : {}), channel: channel.value.trim() };
        },
        '记下退款',
      ),
      make(
        '给买家留言',
        'note',
        'note-form',
        [text],
        (err) => {
          if ([...text.value.trim()].length < 2) return void (err.textContent = '留言 2–300 字');
          return { text: text.value.trim() };
        },
        '发送留言',
      ),
    );
    return box;
  }

  // ---- canned responses: add, edit, delete (shared by every agent) ----

  let editing = null;
  async function openCanned() {
    const dlg = $('canned-dialog');
    const sel = $('canned-form').elements.namedItem('causes');
    if (!sel.options.length) sel.replaceChildren(...causes.map((c) => Object.assign(el('option', '', c.label), { value: c.id })));
    $('canned-vars').replaceChildren(
      ...variables.map((v) =>
        button(`{${v}}`, 'var', () => {
          const body = $('canned-form').elements.namedItem('body');
          const at = body.selectionStart ?? body.value.length;
          body.value = `${body.value.slice(0, at)}{${v}}${body.value.slice(body.selectionEnd ?? at)}`;
          body.focus();
        }),
      ),
    );
    await renderCanned();
    if (!dlg.open) dlg.showModal();
  }
  async function renderCanned() {
    const { canned } = await api('/canned');
    const label = (id) => causes.find((c) => c.id === id)?.label || id;
    $('canned-list').replaceChildren(
      ...(canned.length
        ? canned.map((c) => {
            const li = el('li');
            const head = el('div', 'line1');
            head.append(el('strong', '', c.title), el('span', 'muted small', `${c.updatedByName || ''} · ${time(new Date(c.updatedAt).toISOString())}`));
            const del = button('删除', 'link danger');
            del.onclick = async () => {
              // Two clicks, no browser dialog: the first asks, the second deletes.
              if (del.dataset.armed !== '1') {
                del.dataset.armed = '1';
                del.textContent = '确认删除';
                return;
              }
              await api(`/canned/${encodeURIComponent(c.id)}`, { method: 'DELETE' });
              if (editing === c.id) resetCannedForm();
              await renderCanned();
            };
            const edit = button('编辑', 'link', () => {
              editing = c.id;
              const f = $('canned-form').elements;
              f.namedItem('title').value = c.title;
              f.namedItem('body').value = c.body;
              for (const o of f.namedItem('causes').options) o.selected = c.causes.includes(o.value);
              $('canned-form-title').textContent = `编辑“${c.title}”`;
              f.namedItem('title').focus();
            });
            const tools = el('span', 'tools');
            tools.append(edit, del);
            head.append(tools);
            li.append(head, el('div', 'body', c.body));
            if (c.causes.length) li.append(el('div', 'muted small', `推荐给：${c.causes.map(label).join('、')}`));
            return li;
          })
        : [el('li', 'muted small', '还没有常用回复，在下面添加第一条。')]),
    );
  }
  function resetCannedForm() {
    editing = null;
    $('canned-form').reset();
    $('canned-form-title').textContent = '新增';
    $('canned-error').textContent = '';
  }
  $('canned-open').onclick = () => void openCanned();
  $('canned-new').onclick = resetCannedForm;
  $('canned-form').onsubmit = async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const body = {
      title: f.namedItem('title').value.trim(),
      body: f.namedItem('body').value.trim(),
      causes: [...f.namedItem('causes').selectedOptions].map((o) => o.value),
    };
    if (!body.title || !body.body) return void ($('canned-error').textContent = '标题和内容都要填');
    try {
      await api(editing ? `/canned/${encodeURIComponent(editing)}` : '/canned', { method: editing ? 'PUT' : 'POST', body });
    } catch (err) {
      $('canned-error').textContent = err.message;
      return;
    }
    resetCannedForm();
    await renderCanned();
  };
  for (const b of document.querySelectorAll('dialog [data-close]')) b.onclick = () => b.closest('dialog').close();
  $('help-open').onclick = () => $('help-dialog').showModal();

  // ---- keyboard ----

  /** Alt+↓ / Alt+↑: the next or previous conversation (or ticket) in the list on screen. */
  function stepList(delta) {
    const items = [...document.querySelectorAll('.queue section:not([hidden]) li[data-id]')];
    if (!items.length) return;
    const at = items.findIndex((li) => li.dataset.id === current?.id);
    const next = items[at < 0 ? (delta > 0 ? 0 : items.length - 1) : (at + delta + items.length) % items.length];
    next.click();
    next.scrollIntoView({ block: 'nearest' });
  }
  document.addEventListener('keydown', (e) => {
    if ($('desk').hidden) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.shiftKey && e.code === 'KeyE') {
      e.preventDefault();
      resolveShortcut();
      return;
    }
    if (e.altKey && !mod && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      stepList(e.key === 'ArrowDown' ? 1 : -1);
      return;
    }
    if (e.key === 'Escape' && resolveArmed) {
      resolveArmed = false;
      $('resolve-hint').hidden = true;
    }
    if (e.key === '?' && !typing(e.target) && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      $('help-dialog').showModal();
    }
  });

  // ---- sign-in ----

  $('login-form').onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    try {
      const r = await api('/login', { method: 'POST', body: { username: f.get('username'), password: f.get('password') } });
      csrf = r.csrf;
      $('login-error').textContent = '';
      e.target.reset();
      await start();
    } catch (err) {
      $('login-error').textContent =
        err.code === 'wrong user name or password' ? '账号或密码不对' : err.code === 'too many attempts, wait a minute' ? '试得太多了，请等一分钟' : err.message;
    }
  };
  $('logout').onclick = async () => {
    await api('/logout', { method: 'POST' }).catch(() => {});
    showLogin();
  };
  void start();
})();
