// The agent console: sign in, live queue over WebSocket, claim, reply, notes, transfer, resolve,
// order lookup (reveals are audited on the server), tickets. User data is always set as text.
(() => {
  const $ = (id) => document.getElementById(id);
  let csrf = '';
  let me = null;
  let current = null; // { kind: 'handoff' | 'ticket', id }
  let agents = [];
  let ws = null;
  let timeZone = 'Asia/Shanghai'; // the shop's, from /me

  const api = async (path, opts = {}) => {
    const res = await fetch(`/agent/api${path}`, {
      method: opts.method ?? 'GET',
      credentials: 'same-origin',
      headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...(opts.method && opts.method !== 'GET' ? { 'x-csrf-token': csrf } : {}) },
      body: opts.body ? JSON.stringify(opts.body) : undefined,
    });
    const json = await res.json().catch(() => ({}));
    if (res.status === 401 && path !== '/login') showLogin();
    if (!res.ok) throw new Error(json.error || `HTTP ${res.status}`);
    return json;
  };
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const time = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', { timeZone, hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '');
  const waited = (sec) => (sec < 60 ? `${sec} 秒` : sec < 3600 ? `${Math.floor(sec / 60)} 分钟` : `${Math.floor(sec / 3600)} 小时`);
  const CHANNEL = { directline: '网页', wechat: '公众号', wecom: '企业微信', emulator: 'Emulator', msteams: 'Teams' };

  function showLogin() {
    $('desk').hidden = true;
    $('login').hidden = false;
    if (ws) ws.close();
  }

  async function start() {
    try {
      const info = await api('/me');
      csrf = info.csrf;
      me = info.agent;
      timeZone = info.timeZone || timeZone;
      $('me').textContent = me.displayName;
      $('outcome').replaceChildren(...info.outcomes.map((o) => Object.assign(el('option', '', o.label), { value: o.id })));
      $('quick').replaceChildren(
        ...info.quickReplies.map((q) => {
          const b = el('button', '', q);
          b.type = 'button';
          b.title = q;
          b.onclick = () => {
            $('reply').value = q;
            $('reply').focus();
          };
          return b;
        }),
      );
      $('login').hidden = true;
      $('desk').hidden = false;
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
      if (ev.type === 'presence') $('presence').textContent = `在线客服 ${ev.online} 人`;
      if (ev.type === 'changed') void refresh();
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

  async function refresh() {
    const [q, t, a] = await Promise.all([api('/queue'), api('/tickets'), api('/agents')]);
    agents = a.agents;
    $('count-queued').textContent = q.queued.length || '';
    $('count-mine').textContent = q.mine.length || '';
    $('count-tickets').textContent = t.tickets.length || '';
    renderList('list-queued', q.queued, 'handoff');
    renderList('list-mine', q.mine, 'handoff');
    renderList('list-others', q.others, 'handoff');
    renderList('list-tickets', t.tickets, 'ticket');
    $('transfer-to').replaceChildren(
      ...agents.filter((x) => x.id !== me.id).map((x) => Object.assign(el('option', '', `${x.displayName}${x.online ? '（在线）' : ''}`), { value: x.id })),
    );
    if (current?.kind === 'handoff') await openHandoff(current.id, true);
  }

  function renderList(id, items, kind) {
    $(id).replaceChildren(
      ...items.map((h) => {
        const li = el('li', current?.id === h.id ? 'active' : '');
        li.dataset.id = h.id;
        const l1 = el('div', 'line1');
        if (kind === 'handoff') {
          l1.append(
            el('span', '', h.orderNo || '（无订单号）'),
            el('span', h.priority >= 3 ? 'prio' : 'muted small', h.priority >= 3 ? '加急' : CHANNEL[h.channelId] || h.channelId),
          );
          li.append(l1, el('div', 'muted small', `${h.reason}${h.cause ? ` · ${h.cause}` : ''} · 等了 ${waited(h.waitingSec)}${h.agentName ? ` · ${h.agentName}` : ''}`));
          li.onclick = () => openHandoff(h.id);
        } else {
          l1.append(el('span', '', h.id), el('span', 'muted small', `${time(h.dueAt)} 前`));
          li.append(l1, el('div', 'muted small', h.symptom.slice(0, 40)));
          li.onclick = () => openTicket(h);
        }
        return li;
      }),
    );
  }

  function addLine(l) {
    const cls = l.direction === 'in' ? 'in' : l.sender.startsWith('agent') ? 'agent' : 'bot';
    const li = el('li', cls);
    li.append(el('span', 'who', `${l.direction === 'in' ? '买家' : l.sender.startsWith('agent') ? '客服' : '机器人'} · ${time(l.at)}`), document.createTextNode(l.text));
    $('timeline').append(li);
    $('timeline').scrollTop = $('timeline').scrollHeight;
  }
  function addMessage(m) {
    if (m.kind === 'agent') return addLine({ direction: 'out', sender: 'agent', text: m.text, at: m.at });
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
      $('lookup-result').replaceChildren();
      $('lookup-no').value = '';
    }
  }

  async function openHandoff(id, keepScroll) {
    switchTo({ kind: 'handoff', id });
    const d = await api(`/handoffs/${encodeURIComponent(id)}`);
    $('empty').hidden = true;
    $('ticket-view').hidden = true;
    $('view').hidden = false;
    const h = d.handoff;
    $('conv-title').textContent = h.orderNo ? `订单 ${h.orderNo}` : '未提供订单号';
    $('conv-state').textContent = { queued: '排队中', assigned: h.agentName ? `${h.agentName} 接待中` : '接待中', resolved: '已结束', canceled: '已取消' }[h.state] || h.state;
    $('conv-sub').textContent = `${CHANNEL[h.channelId] || h.channelId} · ${h.reason} · 发起于 ${time(h.createdAt)}`;
    const mine = h.state === 'assigned' && h.agentId === me.id;
    $('claim').hidden = h.state !== 'queued';
    for (const x of ['transfer-to', 'transfer', 'outcome', 'resolve']) $(x).hidden = !mine;
    $('reply-form').hidden = !mine;
    $('quick').hidden = !mine;
    $('unreachable').hidden = d.reachable;
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
      ['诊断', c.causeLabel],
      ['阶段', c.stepLabel],
      ['工单', c.ticketId],
      ['买家', c.buyer?.id],
    ];
    if (c.order) facts.push(['订单状态', c.statusLabel || c.order.status], ['商品', c.order.title], ['金额', c.order.amount && `¥${c.order.amount}`]);
    if (c.timeline) facts.push(['进度', c.timeline]);
    $('facts').replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', '', k), el('dd', '', String(v))]));
    $('ladder').replaceChildren(...(c.ladder || []).map((l) => el('li', '', `${l.label} · ${time(l.at)}`)));
    // The model's notes for the agent (checked server-side); a suggestion only fills the reply box.
    const assist = c.assist;
    $('assist').hidden = !assist;
    $('assist-summary').replaceChildren(...(assist?.summary || []).map((line) => el('li', '', line)));
    $('assist-replies').replaceChildren(
      ...(assist?.suggestions || []).map((q) => {
        const b = el('button', '', q);
        b.type = 'button';
        b.title = q;
        b.disabled = !mine;
        b.onclick = () => {
          $('reply').value = q;
          $('reply').focus();
        };
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
    for (const li of document.querySelectorAll('.queue li')) li.classList.toggle('active', li.dataset.id === id);
  }

  function openTicket(t) {
    switchTo({ kind: 'ticket', id: t.id });
    $('empty').hidden = true;
    $('view').hidden = true;
    $('ticket-view').hidden = false;
    $('ticket-title').textContent = `工单 ${t.id}`;
    const facts = [
      ['订单号', t.orderNo],
      ['付款时间', t.paymentTime && time(t.paymentTime)],
      ['诊断', t.causeLabel],
      ['问题', t.symptom],
      ['渠道', CHANNEL[t.channelId] || t.channelId],
      ['回复期限', time(t.dueAt)],
      ['能否送达', t.reachable ? '能' : '不能（请另行联系）'],
    ];
    $('ticket-facts').replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', '', k), el('dd', '', String(v))]));
    for (const li of document.querySelectorAll('.queue li')) li.classList.toggle('active', li.dataset.id === t.id);
  }

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
      $('login-error').textContent = err.message === 'wrong user name or password' ? '账号或密码不对' : err.message;
    }
  };
  $('logout').onclick = async () => {
    await api('/logout', { method: 'POST' }).catch(() => {});
    showLogin();
  };
  $('claim').onclick = async () => {
    try {
      await api(`/handoffs/${current.id}/claim`, { method: 'POST' });
    } catch (err) {
      alert(err.message === 'already taken' ? '已被其他客服接入' : err.message);
    }
    await refresh();
  };
  $('transfer').onclick = async () => {
    if (!$('transfer-to').value) return;
    await api(`/handoffs/${current.id}/transfer`, { method: 'POST', body: { agentId: $('transfer-to').value } });
    await refresh();
  };
  $('resolve').onclick = async () => {
    await api(`/handoffs/${current.id}/resolve`, { method: 'POST', body: { outcome: $('outcome').value } });
    await refresh();
  };
  const send = async (asNote) => {
    const text = $('reply').value.trim();
    if (!text || !current) return;
    await api(`/handoffs/${current.id}/${asNote ? 'notes' : 'messages'}`, { method: 'POST', body: { text } });
    $('reply').value = '';
  };
  $('reply-form').onsubmit = (e) => {
    e.preventDefault();
    void send(false);
  };
  $('note').onclick = () => send(true);
  $('reply').onkeydown = (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send(false);
    }
  };
  $('ticket-form').onsubmit = async (e) => {
    e.preventDefault();
    const text = $('ticket-answer').value.trim();
    if (!text) return;
    await api(`/tickets/${current.id}/answer`, { method: 'POST', body: { text } });
    $('ticket-answer').value = '';
    $('ticket-view').hidden = true;
    $('empty').hidden = false;
    switchTo(null);
    await refresh();
  };
  $('lookup-form').onsubmit = async (e) => {
    e.preventDefault();
    const no = $('lookup-no').value.trim();
    const out = $('lookup-result');
    out.replaceChildren();
    if (!no) return;
    // Answers that arrive after the agent moved on are dropped, never shown under another conversation.
    const asked = current;
    const stillHere = () => current?.kind === asked?.kind && current?.id === asked?.id;
    try {
      const r = await api(`/orders/${encodeURIComponent(no)}`);
      if (!stillHere()) return;
      const d = r.diagnosis;
      out.append(el('div', '', `${r.order.title} · ${r.statusLabel} · ¥${r.order.amount}`), el('div', 'muted', `诊断：${d.causeLabel}（${d.stepLabel}）`));
      if (r.order.delivery) {
        const b = el('button', '', '查看卡密（会记录）');
        b.onclick = async () => {
          const reason = prompt('查看原因（会记入审计日志）');
          if (!reason) return;
          try {
            const v = await api(`/orders/${encodeURIComponent(no)}/reveal`, { method: 'POST', body: { reason } });
            if (!stillHere()) return;
            const items = v.delivery.items || [];
            out.append(el('pre', '', items.map((i) => i.plaintext || i.masked).join('\n') || JSON.stringify(v.delivery)));
          } catch (err) {
            out.append(el('div', 'error', err.message));
          }
        };
        out.append(b);
      }
    } catch (err) {
      out.append(el('div', 'error', err.message === 'no such order' ? '查不到这个订单' : err.message));
    }
  };
  void start();
})();
