/**
 * What may go into a log line about a conversation or a buyer: a short digest, never the id
 * itself. Some ids are credentials (the JSON chat API's conversation id is the only thing a
 * client presents), others are personal (a WeChat openid); a digest still lets an operator
 * follow one conversation through the log.
 */
import { createHash } from 'node:crypto';

export function idDigest(...parts: Array<string | undefined>): string {
  return createHash('sha256')
    .update(parts.map((p) => p ?? '').join('\u0000'))
    .digest('hex')
    .slice(0, 12);
}
