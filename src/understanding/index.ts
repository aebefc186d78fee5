/**
 * text → intent + slots + signals, by rules (no LLM). Pure apart from the clock handed in.
 */
import type { ProductType } from '../orders/model.js';
import { type Contact, type Identifier, extractContact, extractIdentifiers } from './identifiers.js';
import { type Intent, SIGNALS, classifyIntent } from './intent.js';
import { brandsIn } from './brands.js';
import type { IntentClassifier } from './classifier.js';
import { combine } from './learned.js';
import { normalizeText } from './normalize.js';
import { type PaymentTime, extractPaymentTime } from './time.js';
import { PRODUCT_WORDS, detectProductType } from './productType.js';

/** Time words left over when the recognizer's span is shorter than the phrase ("三点多", "左右"). */
const TIME_WORDS =
  /[零一二两三四五六七八九十百\d]+(点|时|分钟?|号|日|月|小时|个小时|天)(半|多|钟)?|昨[天晚日夜]|今[天早晚]|前天|刚才|刚刚|上午|下午|中午|晚上|早上|凌晨|傍晚|半夜|左右|前|多/g;

export type { Intent } from './intent.js';
export type { Identifier, Contact } from './identifiers.js';
export type { PaymentTime } from './time.js';

export interface Understanding {
  text: string;
  intent: Intent;
  /** First shop order number in the text. */
  orderNo?: string;
  /** Every identifier found, classified. */
  identifiers: Identifier[];
  paymentTime?: PaymentTime;
  productType?: ProductType;
  contact?: Contact;
  /** A query password typed with its label ("密码1234"). */
  queryPassword?: string;
  /** A bare small number ("2", "第2个"): a pick from a list the bot showed. */
  choice?: number;
  /** Brands the buyer names ("steam", "qq" for Q币…), canonical (understanding/brands.ts). */
  brands: string[];
  signals: {
    yes: boolean;
    no: boolean;
    notResolved: boolean;
    question: boolean;
    resolved: boolean;
    noOrderNo: boolean;
    restart: boolean;
    help: boolean;
    moneyTaken: boolean;
    saysPaid: boolean;
    wantsTracking: boolean;
    wantsCode: boolean;
    wantsReveal: boolean;
    rights: boolean;
    ticket: boolean;
    cancelWait: boolean;
    asksWhen: boolean;
    asksWhy: boolean;
    codeUsed: boolean;
    newCode: boolean;
    wherePerson: boolean;
    notThis: boolean;
    venting: boolean;
    wheresMoney: boolean;
    notifyMe: boolean;
    notifyStop: boolean;
    accountCheck: boolean;
  };
}

/**
 * Only a number, 5–11 digits without a leading 0 (spaces and dashes allowed): a QQ number, or a
 * mobile number. The query password may come with it, labelled ("2290417735 密码8888"): the number
 * is what is left once that is taken out (and the separators between them).
 */
function bareContact(text: string): Contact | undefined {
  const digits = text.replace(QUERY_PASSWORD, ' ').replace(/[\s,;:、；。!！-]/g, '');
  if (!/^[1-9]\d{4,10}$/.test(digits)) return undefined;
  return { value: digits, kind: /^1[3-9]\d{9}$/.test(digits) ? 'phone' : 'qq' };
}

const QUERY_PASSWORD = /(?:查询|取卡)?密码\s*(?:是|为|:)?\s*([A-Za-z0-9!@#$%^&*._-]{3,32})/;
const CHOICE = /^第?\s*(\d{1,2})\s*(?:个|笔|单|号)?[。.!！]?$/;

export interface UnderstandOptions {
  now: Date;
  timeZone: string;
  /** What the bot just asked for: a bare number answering "your checkout phone, e-mail or QQ?" is that. */
  expect?: 'contact';
  /** The learned intent model (understanding/learned.ts); without it, rules alone. */
  model?: IntentClassifier;
}

export function understand(raw: unknown, opts: UnderstandOptions): Understanding {
  const text = normalizeText(raw);
  const contact = extractContact(text) ?? (opts.expect === 'contact' ? bareContact(text) : undefined);
  // A labelled QQ number or phone is a contact, not an order number (nor part of one).
  const identifiers = extractIdentifiers(contact ? text.split(contact.value).join(' ') : text);
  // Times are looked for only outside the identifiers, so digits of a number are not read as a date.
  let timeText = text;
  for (const id of identifiers) timeText = timeText.split(id.raw ?? id.value).join(' ');
  if (contact) timeText = timeText.split(contact.value).join(' ');
  const paymentTime = extractPaymentTime(timeText, opts.now, opts.timeZone);
  const productType = detectProductType(text);
  const orderNo = identifiers.find((i) => i.kind === 'order_no')?.value;
  let residual = paymentTime ? timeText.split(paymentTime.text).join(' ') : timeText;
  residual = residual
    .replace(TIME_WORDS, '')
    .replace(PRODUCT_WORDS, '')
    .replace(/\d+(\.\d+)?/g, '')
    .replace(/[\p{P}\p{S}\s]/gu, '');
  const ruleIntent = classifyIntent({
    residual,
    text,
    hasIdentifier: identifiers.length > 0,
    hasTime: !!paymentTime,
    hasProductType: !!productType,
    hasContact: !!contact,
  });
  const intent = text && opts.model ? combine(ruleIntent, opts.model.predict(text)) : ruleIntent;
  const s = SIGNALS;
  return {
    text,
    intent,
    orderNo,
    identifiers,
    paymentTime,
    productType,
    contact,
    queryPassword: text.match(QUERY_PASSWORD)?.[1],
    choice: text.match(CHOICE) ? Number(text.match(CHOICE)![1]) : undefined,
    brands: brandsIn(text),
    signals: {
      yes: s.yes.test(text),
      no: s.no.test(text),
      notResolved: s.notResolved.test(text),
      question: s.question.test(text),
      resolved: s.resolved.test(text) && !s.notResolved.test(text) && !/没|不/.test(text.replace(/没问题/, '')),
      noOrderNo: s.noOrderNo.test(text),
      restart: s.restart.test(text),
      help: s.help.test(text),
      moneyTaken: s.moneyTaken.test(text),
      saysPaid: s.saysPaid.test(text) || s.moneyTaken.test(text),
      wantsTracking: s.wantsTracking.test(text),
      wantsCode: s.wantsCode.test(text),
      wantsReveal: s.wantsReveal.test(text),
      rights: s.rights.test(text),
      ticket: s.ticket.test(text),
      cancelWait: s.cancelWait.test(text),
      asksWhen: s.asksWhen.test(text),
      asksWhy: s.asksWhy.test(text),
      codeUsed: s.codeUsed.test(text),
      newCode: s.newCode.test(text),
      wherePerson: s.wherePerson.test(text),
      notThis: s.notThis.test(text),
      venting: s.venting.test(text),
      wheresMoney: s.wheresMoney.test(text),
      notifyStop: s.notifyStop.test(text),
      notifyMe: s.notifyMe.test(text) && !s.notifyStop.test(text) && !/怎么|如何|为什么|为啥|会不会/.test(text),
      accountCheck: s.accountCheck.test(text),
    },
  };
}
