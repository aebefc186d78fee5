// Safe parsing/building of the flat XML documents WeChat and WeCom push and accept.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export class XmlError extends Error {
  constructor(
    readonly kind: 'doctype' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'XmlError';
  }
}

const DOCTYPE_RE = /<!(?:DOCTYPE|ENTITY)/i;
const KEY_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
// Tag names that could reach Object.prototype; the parser would throw or rename them, we drop them instead.
const UNSAFE_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
// Real XML names never start with '#': a safe marker for names we skip (also covers the parser's '#text').
const SKIP = '#';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false, // keep "00123" and 64-bit MsgIds as strings
  processEntities: true, // only the predefined XML entities; DOCTYPE is refused before parsing
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: (name) => (UNSAFE_NAMES.has(name) ? SKIP + name : name),
  onDangerousProperty: (name) => SKIP + name,
});

/**
 * The children of the root <xml> element as a flat, null-prototype map of strings.
 * Nested elements are flattened with dotted paths (`ScanCodeInfo.ScanType`), repeated nested elements get an index
 * (`PicList.item.0.PicMd5Sum`); a repeated top-level element keeps its first value.
 */
export function parseWeChatXml(xml: string): Record<string, string> {
  if (typeof xml !== 'string') throw new XmlError('malformed', 'body is not a string');
  if (DOCTYPE_RE.test(xml)) throw new XmlError('doctype', 'DOCTYPE / ENTITY declarations are not allowed');
  const body = xml.replace(/^\uFEFF?\s*/, '');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new XmlError('malformed', `invalid XML: ${valid.err.msg} (line ${valid.err.line}, col ${valid.err.col})`);
  let doc: unknown;
  try {
    doc = parser.parse(body);
  } catch (err) {
    throw new XmlError('malformed', `invalid XML: ${(err as Error).message}`);
  }
  const keys = isObject(doc) ? Object.keys(doc) : [];
  if (keys.length !== 1 || keys[0] !== 'xml') throw new XmlError('malformed', 'root element must be a single <xml>');
  const root = (doc as Record<string, unknown>).xml;
  const out: Record<string, string> = Object.create(null);
  if (root === '') return out; // <xml/> or <xml></xml>
  if (Array.isArray(root)) throw new XmlError('malformed', 'root element must be a single <xml>');
  if (!isObject(root)) throw new XmlError('malformed', 'root <xml> must contain elements');
  for (const [key, value] of Object.entries(root)) {
    if (key.startsWith(SKIP)) continue;
    flatten(out, key, Array.isArray(value) ? value[0] : value);
  }
  return out;
}

function flatten(out: Record<string, string>, path: string, value: unknown): void {
  if (typeof value === 'string') {
    out[path] = value;
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) flatten(out, `${path}.${i}`, item);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (!key.startsWith(SKIP)) flatten(out, `${path}.${key}`, child);
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** <xml><K><![CDATA[v]]></K>…</xml>; numbers bare, strings in CDATA with "]]>" split across sections. */
export function buildXml(fields: Array<[string, string | number]>): string {
  let xml = '<xml>';
  for (const [key, value] of fields) {
    if (!KEY_RE.test(key)) throw new TypeError(`invalid XML element name: ${JSON.stringify(key)}`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TypeError(`non-finite number for <${key}>`);
      xml += `<${key}>${value}</${key}>`;
    } else {
      xml += `<${key}><![CDATA[${String(value).replaceAll(']]>', ']]]]><![CDATA[>')}]]></${key}>`;
    }
  }
  return `${xml}</xml>`;
}
