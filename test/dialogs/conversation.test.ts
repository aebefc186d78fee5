import type { Activity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { NOW, makeApp, order, say, testAdapter } from '../helpers.js';

const outcomeOf = (a: Partial<Activity>) => a.value as Record<string, any>;
const isMessage = (a: Partial<Activity>) => a.type === 'message';

const paidRecently = order({ orderNo: 'K7QX9ZP2M4RT8WNA', status: 'paid', paidAt: '2026-11-23T14:54:00+08:00' });
const delivered = order({
  orderNo: 'K8PL3MZ7Q2XV9TRB',
  status: 'delivered',
  paidAt: '2026-11-23T13:04:00+08:00',
  buyer: { contact: '13812345678', email: 'buyer@example.com', hasQueryPassword: false },
  delivery: { kind: 'card_codes', items: [{ masked: 'QB10****7Z3K', plaintext: 'QB10-8842-5519-7Z3K' }], expected: 1, deliveredAt: '2026-11-23T13:05:00+08:00' },
});

describe('dialogs through botbuilder TestAdapter', () => {
  it('welcomes a new buyer and says what it can do', async () => {
    const app = await makeApp({ orders: [] });
    const adapter = testAdapter(app);
    await adapter
      .send({ type: 'conversationUpdate', membersAdded: [{ id: 'user1', name: 'user1' }], recipient: { id: 'bot', name: 'bot' } } as Partial<Activity>)
      .assertReply((a) => {
        expect(a.text).toContain('订单助手');
        expect(a.text).toContain('转人工');
        expect(a.suggestedActions?.actions.length).toBeGreaterThan(0);
      })
      .startTest();
  });

  it('collects the order number over turns, then diagnoses, with one trace per answered turn', async () => {
    const app = await makeApp({ orders: [paidRecently] });
    const adapter = testAdapter(app);
    await adapter
      .send('付款了怎么查不到单号')
      .assertReply((a) => {
        expect(isMessage(a)).toBe(true);
        expect(a.text).toContain('订单号');
      })
      .assertReply((a) => {
        expect(a.type).toBe('trace');
        expect(a.name).toBe('turnOutcome');
        expect(outcomeOf(a)).toMatchObject({ intent: 'order_status', step: 'collecting' });
      })
      .send('K7QX9ZP2M4RT8WNA')
      .assertReply((a) => {
        expect(a.text).toContain('K7QX9ZP2M4RT8WNA');
        expect(a.text).toContain('15:09'); // honest ETA: paid 14:54 + 15 minutes
        expect(a.text).toContain('➤ 出卡');
      })
      .assertReply((a) =>
        expect(outcomeOf(a)).toMatchObject({
          cause: 'sync_delay',
          step: 'self_check',
          lookup: { found: true, status: 'paid' },
          slots: { orderNo: 'K7QX9ZP2M4RT8WNA', productType: 'game_card' },
        }),
      )
      .startTest();
  });

  it('re-prompts at most twice for the order number, then offers a way out', async () => {
    const app = await makeApp({ orders: [] });
    const r1 = await say(app, '我的订单呢');
    expect(r1.outcome).toMatchObject({ step: 'collecting' });
    const r2 = await say(app, '啊这');
    expect(r2.text).toContain('没有订单号');
    const r3 = await say(app, '嗯嗯');
    expect(r3.outcome).toMatchObject({ step: 'collecting' });
    const r4 = await say(app, '不知道啊');
    expect(r4.text).toContain('转人工');
    expect(r4.text).toContain('提交工单');
  });

  it('accepts everything in one message', async () => {
    const app = await makeApp({ orders: [paidRecently] });
    const r = await say(app, '我今天14点54买的Q币，订单K7QX9ZP2M4RT8WNA，怎么还没到');
    expect(r.outcome).toMatchObject({ intent: 'order_status', cause: 'sync_delay', slots: { orderNo: 'K7QX9ZP2M4RT8WNA', productType: 'game_card' } });
  });

  it('handles interruptions: help keeps the dialog, restart clears it, 转人工 hands off', async () => {
    const app = await makeApp({ orders: [paidRecently] });
    app.services.presence.online = async () => 1;
    await say(app, '查订单');
    const help = await say(app, '帮助');
    expect(help.text).toContain('我可以帮你');
    const stillCollecting = await say(app, 'K7QX9ZP2M4RT8WNA');
    expect(stillCollecting.outcome).toMatchObject({ cause: 'sync_delay' });
    const restart = await say(app, '重新开始');
    expect(restart.text).toContain('重新开始');
    expect(restart.outcome?.slots).toEqual({});
    const human = await say(app, '转人工');
    expect(human.outcome).toMatchObject({ intent: 'human_agent', handoff: true, step: 'escalate' });
    expect(human.text).toContain('人工');
    const ctx = (await app.store.sql.get<{ context: string }>('SELECT context FROM handoff_requests'))!.context;
    expect(JSON.parse(ctx).transcript.length).toBeGreaterThan(3);
  });

  it('gives an honest place in the queue and wait, from the agents online and their pace', async () => {
    const app = await makeApp({ orders: [] });
    app.services.presence.online = async () => 2;
    expect((await say(app, '转人工', 'q1')).text).toContain('你排在第一位');
    const second = await say(app, '转人工', 'q2');
    expect(second.text).toContain('前面还有 1 位');
    expect(second.text).toContain('预计等 3 分钟'); // 1 ahead × 6 min ÷ 2 agents
    // The external-hub protocol event goes out too (channels facing buyers drop it).
    expect(second.activities.some((a) => a.type === 'event' && a.name === 'handoff.initiate')).toBe(true);
  });

  it('files a ticket instead of a queue nobody serves: outside working hours, or with no agent online', async () => {
    const night = await makeApp({ orders: [], now: '2026-11-23T23:30:00+08:00' });
    night.services.presence.online = async () => 3;
    const a = await say(night, '转人工');
    expect(a.outcome).toMatchObject({ intent: 'human_agent', handoff: true, step: 'escalate' });
    expect(a.outcome?.ticketId).toMatch(/^T\d{10}$/);
    expect(a.text).toContain('09:00–22:00');
    expect(a.text).toContain(a.outcome!.ticketId);
    expect((await night.store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM handoff_requests'))?.n).toBe(0);
    const nobody = await makeApp({ orders: [] });
    const b = await say(nobody, '转人工');
    expect(b.text).toContain('都不在线');
    expect(b.outcome?.ticketId).toBeDefined();
    expect((await nobody.services.tickets.get(b.outcome!.ticketId))!.symptom).toContain('要求人工');
  });

  it('lets a buyer stop waiting for an agent', async () => {
    const app = await makeApp({ orders: [] });
    app.services.presence.online = async () => 1;
    expect((await say(app, '转人工')).outcome).toMatchObject({ handoff: true });
    const canceled = await say(app, '不用了');
    expect(canceled.text).toContain('取消排队');
    expect(canceled.outcome).toMatchObject({ handoff: false });
    expect((await app.store.sql.get<{ state: string }>('SELECT state FROM handoff_requests'))?.state).toBe('canceled');
    // Without a queued request, "不用了" is just an answer.
    expect((await say(app, '不用了')).text).not.toContain('取消排队');
  });

  it('a contact given with the request is checked at once, and a wrong one counts as a failure', async () => {
    const app = await makeApp({ orders: [delivered] });
    try {
      const wrong = await say(app, '卡密在哪看 K8PL3MZ7Q2XV9TRB 手机13900000000', 'with-1', { clientKey: 'ip:203.0.113.9' });
      expect(wrong.text).not.toContain('QB10-8842-5519-7Z3K');
      expect(wrong.text).toContain('4');
      const right = await say(app, '卡密在哪看 K8PL3MZ7Q2XV9TRB 手机13812345678', 'with-2', { clientKey: 'ip:203.0.113.10' });
      expect(right.text).toContain('QB10-8842-5519-7Z3K');
    } finally {
      await app.close();
    }
  });

  it('verifies the owner before revealing codes; five failures lock that claimant out of the order for 10 minutes', async () => {
    const app = await makeApp({ orders: [delivered] });
    const from = { clientKey: 'ip:203.0.113.7' };
    const first = await say(app, '卡密在哪看 K8PL3MZ7Q2XV9TRB', 'conv-1', from);
    expect(first.text).toContain('QB10****7Z3K');
    expect(first.text).not.toContain('QB10-8842-5519-7Z3K');
    expect(first.text).toContain('核对身份');
    for (let i = 0; i < 4; i++) {
      const wrong = await say(app, '13900000000', 'conv-1', from);
      expect(wrong.text).not.toContain('QB10-8842-5519-7Z3K');
      expect(wrong.text).toContain(`${4 - i}`);
    }
    const locked = await say(app, '13900000000', 'conv-1', from);
    expect(locked.text).toContain('锁定');
    // Even the right contact is refused while locked: in this conversation, and in a new one from the same client.
    await say(app, '查看卡密 K8PL3MZ7Q2XV9TRB', 'conv-2', from);
    const refused = await say(app, '13812345678', 'conv-2', from);
    expect(refused.text).not.toContain('QB10-8842-5519-7Z3K');
    // Someone else (another client, another conversation) is not locked out by those failures.
    await say(app, '查看卡密 K8PL3MZ7Q2XV9TRB', 'conv-3', { clientKey: 'ip:198.51.100.20' });
    expect((await say(app, '13812345678', 'conv-3', { clientKey: 'ip:198.51.100.20' })).text).toContain('QB10-8842-5519-7Z3K');
  });

  it('failures spread over many clients lock the order for anonymous claimants, never for its logged-in owner', async () => {
    const owned = order({ ...delivered, orderNo: 'K8PL3MZ7Q2XV9TRD', buyer: { userId: 'u1001', contact: '13812345678', hasQueryPassword: false } });
    const app = await makeApp({ orders: [owned] });
    for (let i = 0; i < 25; i++) {
      const from = { clientKey: `ip:203.0.113.${i}` };
      await say(app, '查看卡密 K8PL3MZ7Q2XV9TRD', `guess-${i}`, from);
      await say(app, `1390000${String(i).padStart(4, '0')}`, `guess-${i}`, from);
    }
    // The order is now locked for anyone anonymous, even with the right contact...
    await say(app, '查看卡密 K8PL3MZ7Q2XV9TRD', 'late', { clientKey: 'ip:192.0.2.1' });
    expect((await say(app, '13812345678', 'late', { clientKey: 'ip:192.0.2.1' })).text).not.toContain('QB10-8842-5519-7Z3K');
    // ...but the shop's login proves the owner, whom nobody can lock out.
    const me = await say(app, '卡密发我 K8PL3MZ7Q2XV9TRD', 'owner', { buyer: { id: 'u1001' }, clientKey: 'ip:192.0.2.1' });
    expect(me.text).toContain('QB10-8842-5519-7Z3K');
  });

  it('takes a bare QQ number as the contact it just asked for, not as an order number', async () => {
    const qqOrder = order({ ...delivered, orderNo: 'K8PL3MZ7Q2XV9TRE', buyer: { contact: '2290417735', contactType: 'qq', hasQueryPassword: false } });
    const app = await makeApp({ orders: [qqOrder] });
    await say(app, '查看卡密 K8PL3MZ7Q2XV9TRE');
    const ok = await say(app, '2290417735');
    expect(ok.outcome?.lookup).toBeUndefined(); // no order lookup spent on it
    expect(ok.text).toContain('QB10-8842-5519-7Z3K');
    // An 8-digit QQ is a contact too (a wrong one here), not "not a contact".
    await say(app, '查看卡密 K8PL3MZ7Q2XV9TRE', 'conv-q');
    const wrong = await say(app, '75318642', 'conv-q');
    expect(wrong.text).not.toContain('没认出联系方式');
    expect(wrong.text).toContain('4');
  });

  it('"查看卡密" after an answer asks for proof only when codes were delivered', async () => {
    const app = await makeApp({ orders: [delivered, paidRecently] });
    await say(app, 'K8PL3MZ7Q2XV9TRB', 'a');
    const ask = await say(app, '查看卡密', 'a');
    expect(ask.text).toContain('核对身份');
    expect(ask.text).not.toContain('QB10-8842-5519-7Z3K');
    await say(app, 'K7QX9ZP2M4RT8WNA', 'b');
    const notYet = await say(app, '查看卡密', 'b');
    expect(notYet.outcome).toMatchObject({ cause: 'sync_delay' });
    expect(notYet.text).not.toContain('核对身份');
  });

  it('reveals to the right contact, and to a logged-in owner', async () => {
    const app = await makeApp({ orders: [delivered] });
    await say(app, '查看卡密 K8PL3MZ7Q2XV9TRB');
    const ok = await say(app, '下单手机是 138-1234-5678');
    expect(ok.text).toContain('QB10-8842-5519-7Z3K');

    const owned = order({ ...delivered, orderNo: 'K8PL3MZ7Q2XV9TRC', buyer: { userId: 'u1001', contact: '13812345678', hasQueryPassword: false } });
    const app2 = await makeApp({ orders: [owned] });
    const me = await say(app2, '卡密发我 K8PL3MZ7Q2XV9TRC', 'c', { buyer: { id: 'u1001' } });
    expect(me.text).toContain('QB10-8842-5519-7Z3K');
    const other = await say(app2, '卡密发我 K8PL3MZ7Q2XV9TRC', 'd', { buyer: { id: 'u2002' } });
    expect(other.text).not.toContain('QB10-8842-5519-7Z3K');
  });

  it('asks for the query password when the order has one', async () => {
    const locked = order({ ...delivered, orderNo: 'K8PL3MZ7Q2XV9TRD', queryPassword: 'abc123', buyer: { contact: '13812345678', hasQueryPassword: true } });
    const app = await makeApp({ orders: [locked] });
    const ask = await say(app, '卡密发我 K8PL3MZ7Q2XV9TRD');
    expect(ask.text).toContain('查询密码');
    const noPw = await say(app, '13812345678');
    expect(noPw.text).toContain('查询密码');
    expect(noPw.text).not.toContain('QB10-8842-5519-7Z3K');
    const ok = await say(app, '13812345678 密码abc123');
    expect(ok.text).toContain('QB10-8842-5519-7Z3K');
  });

  it("suggests close matches of the buyer's own orders only, masked unless logged in", async () => {
    const mine = order({
      orderNo: 'K7QX9ZP2M4RT8WNB',
      status: 'paid',
      paidAt: '2026-11-23T14:54:00+08:00',
      buyer: { userId: 'u1', contact: '13812345678', hasQueryPassword: false },
    });
    const app = await makeApp({ orders: [mine] });
    const loggedIn = await say(app, '查订单 K7QX9ZP2M4RT8WN8', 'a', { buyer: { id: 'u1' } });
    expect(loggedIn.outcome).toMatchObject({ cause: 'order_not_found' });
    expect(loggedIn.text).toContain('K7QX9ZP2M4RT8WNB');
    const stranger = await say(app, '查订单 K7QX9ZP2M4RT8WN8', 'b', { buyer: { id: 'u2' } });
    expect(stranger.text).not.toContain('8WNB');
    await say(app, '我的手机是13812345678', 'c');
    const typedContact = await say(app, '查订单 K7QX9ZP2M4RT8WN8', 'c');
    expect(typedContact.text).not.toContain('K7QX9ZP2M4RT8WNB');
    expect(typedContact.text).toContain('K7QX****8WNB');
  });

  it('walks the ladder: self-check → ticket → live agent → rights', async () => {
    const app = await makeApp({ orders: [paidRecently] });
    expect((await say(app, 'K7QX9ZP2M4RT8WNA')).outcome).toMatchObject({ step: 'self_check' });
    const contact = await say(app, '还是没到');
    expect(contact.outcome).toMatchObject({ step: 'contact' });
    expect(contact.outcome?.ticketId).toMatch(/^T261123\d{4}$/);
    expect(contact.text).toContain(contact.outcome!.ticketId);
    const ticket = (await app.services.tickets.get(contact.outcome!.ticketId))!;
    expect(ticket).toMatchObject({ orderNo: 'K7QX9ZP2M4RT8WNA', productType: 'game_card', cause: 'sync_delay' });
    expect(ticket.paymentTime).toBeTruthy();
    expect(ticket.symptom.length).toBeGreaterThan(0);
    expect((await say(app, '还是没到')).outcome).toMatchObject({ step: 'escalate', handoff: true });
    const rights = await say(app, '还是没解决');
    expect(rights.outcome).toMatchObject({ step: 'rights' });
    expect(rights.text).toContain('12315');
    expect(rights.text).toContain('电子商务法');
  });

  it('asks an anonymous buyer for the checkout contact before listing masked candidates', async () => {
    const mine = order({ orderNo: 'K7QX9ZP2M4RT8WNB', status: 'paid', paidAt: '2026-11-22T20:03:00+08:00', buyer: { contact: '13812345678', hasQueryPassword: false } });
    const mine2 = order({
      orderNo: 'K7QX9ZP2M4RT8WNC',
      status: 'delivered',
      productType: 'phone_topup',
      title: '移动话费50元',
      paidAt: '2026-11-22T19:50:00+08:00',
      buyer: { contact: '13812345678', hasQueryPassword: false },
    });
    const theirs = order({ orderNo: 'K7QX9ZP2M4RT8WND', status: 'paid', paidAt: '2026-11-22T20:00:00+08:00', buyer: { contact: '13999999999', hasQueryPassword: false } });
    const app = await makeApp({ orders: [mine, mine2, theirs] });
    const ask = await say(app, '我没有订单号，昨晚八点左右买的');
    expect(ask.text).toContain('手机号');
    expect(ask.text).not.toMatch(/K7QX/);
    const list = await say(app, '13812345678');
    expect(list.text).toContain('K7QX****8WNB');
    expect(list.text).not.toContain('K7QX9ZP2M4RT8WNB');
    expect(list.text).not.toContain('8WND');
    const pick = await say(app, '1');
    expect(pick.outcome).toMatchObject({ lookup: { found: true } });
    expect(pick.text).not.toContain('K7QX9ZP2M4RT8WNB');
  });

  it("lists a logged-in buyer's orders by payment time without asking for a contact", async () => {
    const mine = order({ orderNo: 'K7QX9ZP2M4RT8WNB', status: 'paid', paidAt: '2026-11-22T20:03:00+08:00', buyer: { userId: 'u1001', hasQueryPassword: false } });
    const app = await makeApp({ orders: [mine] });
    const r = await say(app, '没有订单号，昨晚8点付的', 'c', { buyer: { id: 'u1001' } });
    expect(r.outcome).toMatchObject({ lookup: { found: true }, slots: { orderNo: 'K7QX9ZP2M4RT8WNB' } });
  });

  it('answers FAQs from the knowledge base and says so when nothing matches', async () => {
    const app = await makeApp({ orders: [] });
    const faq = await say(app, '卡密和订单号有什么区别');
    expect(faq.outcome).toMatchObject({ intent: 'faq', step: 'answered' });
    expect(faq.text).toContain('卡密');
    const none = await say(app, '你们的发票抬头怎么开');
    expect(none.text).toMatch(/暂时没有答案|没太明白/);
  });

  it('takes a payment screenshot as the proof a ticket asks for, and files it with the ticket', async () => {
    const unpaid = order({ orderNo: '675261123144000302', status: 'awaiting_payment', productType: 'phone_topup', createdAt: '2026-11-23T14:40:00+08:00' });
    const app = await makeApp({ orders: [unpaid] });
    const adapter = testAdapter(app, { conversation: { id: 'conv-shot' } });
    // The channel stores the bytes before the turn (as Direct Line's upload does); the bot sees the attachment.
    const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    const file = (await app.services.attachments.save({ conversationId: 'conv-shot', channelId: 'test', userId: 'user1', name: 'pay.png', data: PNG }, new Date(NOW)))!;
    let ticketId = '';
    await adapter
      .send('钱扣了订单没了')
      .assertReply((a) => expect(a.text).toContain('订单号'))
      .assertReply((a) => expect(a.type).toBe('trace'))
      .send('订单号 675261123144000302')
      .assertReply((a) => expect(a.text).toContain('还显示没收到付款'))
      .assertReply((a) => expect(a.text).toContain('付款截图'))
      .assertReply((a) => expect(outcomeOf(a).step).toBe('contact'))
      .send({ type: 'message', attachments: [{ contentType: 'image/png', contentUrl: 'https://bot.example/v3/directline/attachments/x/y', name: 'pay.png' }] } as Partial<Activity>)
      .assertReply((a) => {
        expect(a.text).toContain('已提交工单');
        ticketId = a.text!.match(/T\d{10}/)![0];
      })
      .assertReply((a) => expect(outcomeOf(a).ticketId).toBe(ticketId))
      .startTest();
    expect((await app.services.attachments.meta(file.id))!.ticketId).toBe(ticketId);
    expect((await app.services.tickets.get(ticketId))!.symptom).toContain('附件 1 个');
  });

  it('says it cannot read a picture, keeps it, and asks for the number in words', async () => {
    const app = await makeApp({ orders: [] });
    const adapter = testAdapter(app);
    await adapter
      .send({ type: 'message', attachments: [{ contentType: 'image/jpeg', contentUrl: 'https://bot.example/a.jpg' }] } as Partial<Activity>)
      .assertReply((a) => {
        expect(a.text).toContain('图片收到了');
        expect(a.text).toContain('打字发我');
      })
      .startTest();
  });

  it('never starts on a NOW other than the fixed clock', async () => {
    expect((await makeApp()).clock.now().toISOString()).toBe(new Date(NOW).toISOString());
  });
});
