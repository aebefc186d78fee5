// The shop's chat widget: the official Web Chat, connected to our own Direct Line 3.0 server.
// The conversation survives a reload: its id and token stay in sessionStorage and the token is
// refreshed before reuse; Web Chat then replays the conversation from the server.
(() => {
  // The widget brings its own corner panel and styles, so a shop page only adds the two script tags.
  const style = document.createElement('link');
  style.rel = 'stylesheet';
  style.href = new URL('/chat.css', location.origin).href;
  document.head.appendChild(style);
  document.body.insertAdjacentHTML(
    'beforeend',
    `
    <button id="chat-toggle" class="chat-toggle" aria-controls="chat-panel" aria-expanded="false">订单助手</button>
    <section id="chat-panel" class="chat-panel" aria-label="订单助手" hidden>
      <div class="chat-head"><span>订单助手</span><button id="chat-close" aria-label="收起">—</button></div>
      <div id="webchat" class="webchat" role="main"></div>
      <div id="chat-error" class="chat-error" hidden>连接订单助手失败，请刷新页面重试。</div>
    </section>`,
  );
  const KEY = 'orderAssistant.conversation';
  const OPEN = 'orderAssistant.open';
  const domain = location.origin + '/v3/directline';
  const panel = document.getElementById('chat-panel');
  const toggle = document.getElementById('chat-toggle');
  let started = false;
  // The panel opens on demand (the launcher), and the conversation starts when it first opens;
  // a buyer who had it open before a reload finds it open again.
  const setOpen = (open) => {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    sessionStorage.setItem(OPEN, open ? '1' : '0');
    fitToScreen();
    if (open && !started) {
      started = true;
      void start();
    }
  };
  toggle.onclick = () => setOpen(panel.hidden);
  document.getElementById('chat-close').onclick = () => setOpen(false);

  // On a phone the panel covers the screen. When the keyboard comes up, browsers shrink only the
  // visual viewport (100dvh stays): the panel follows it, so the send box sits just above the
  // keyboard and the header with its close button stays in view.
  const phone = window.matchMedia('(max-width: 520px)');
  const vv = window.visualViewport;
  const fitToScreen = () => {
    if (!vv || !phone.matches || panel.hidden) {
      panel.style.removeProperty('top');
      panel.style.removeProperty('bottom');
      panel.style.removeProperty('height');
      return;
    }
    panel.style.top = `${vv.offsetTop}px`;
    panel.style.bottom = 'auto';
    panel.style.height = `${vv.height}px`;
  };
  if (vv) {
    vv.addEventListener('resize', fitToScreen);
    vv.addEventListener('scroll', fitToScreen);
  }
  phone.addEventListener('change', fitToScreen);

  async function postJson(url, token) {
    const r = await fetch(url, { method: 'POST', headers: token ? { authorization: 'Bearer ' + token } : {} });
    if (!r.ok) throw new Error(url + ' ' + r.status);
    return r.json();
  }

  // A logged-in page (orders.html) sets window.ORDER_ASSISTANT_TOKEN_URL to a shop endpoint.
  async function session() {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    const tokenUrl = window.ORDER_ASSISTANT_TOKEN_URL || '/api/directline/token';
    if (saved && saved.tokenUrl === tokenUrl) {
      try {
        const refreshed = await postJson(domain + '/tokens/refresh', saved.token);
        return { ...saved, token: refreshed.token, resumed: true };
      } catch {
        /* expired: start a new conversation */
      }
    }
    const fresh = await postJson(tokenUrl);
    return { token: fresh.token, conversationId: fresh.conversationId, tokenUrl, resumed: false };
  }

  const start = () =>
    session()
      .then((s) => {
        sessionStorage.setItem(KEY, JSON.stringify({ token: s.token, conversationId: s.conversationId, tokenUrl: s.tokenUrl }));
        const directLine = window.WebChat.createDirectLine(s.resumed ? { token: s.token, domain, conversationId: s.conversationId, watermark: '0' } : { token: s.token, domain });
        window.WebChat.renderWebChat(
          {
            directLine,
            locale: 'zh-CN',
            styleOptions: {
              accent: '#d4380d',
              botAvatarInitials: '助',
              uploadAccept: 'image/png,image/jpeg,image/gif,image/webp,application/pdf',
              uploadMultiple: true,
              sendAttachmentOn: 'attach', // a picked screenshot goes at once, no second tap on send
              bubbleBorderRadius: 10,
              bubbleFromUserBackground: '#ffe7d6',
              bubbleFromUserBorderRadius: 10,
              suggestedActionLayout: 'flow',
              sendBoxTextWrap: true,
            },
          },
          document.getElementById('webchat'),
        );
      })
      .catch(() => {
        document.getElementById('chat-error').hidden = false;
      });
  if (sessionStorage.getItem(OPEN) === '1' || window.ORDER_ASSISTANT_OPEN) setOpen(true);
})();
