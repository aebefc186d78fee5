/**
 * Which conversation a turn belongs to, as *we* know it. A conversation is named by its channel and
 * its id together everywhere (bot state, transcript, handoffs, tickets, files), so that no channel
 * can address another's conversations: the JSON API cannot write into a web-chat conversation by
 * using its id, and an activity that arrives through /api/messages claiming `channelId: "wechat"`
 * is not the WeChat conversation of that id. Our own adapters set their channel id themselves;
 * channels whose activities carry a channel id chosen elsewhere (the Bot Framework connector) are
 * put in a namespace of their own ("bf:msteams", "bf:directline").
 */
import { ConversationState, type Middleware, type Storage, type TurnContext, UserState } from 'botbuilder';

const CHANNEL_KEY = Symbol('channelKey');

/** The channel of this turn as our stores name it. */
export function channelOf(ctx: TurnContext): string {
  return (ctx.turnState.get(CHANNEL_KEY) as string | undefined) ?? ctx.activity.channelId;
}

/** The conversation of this turn: channel and id. */
export function conversationOf(ctx: TurnContext): { channelId: string; conversationId: string } {
  return { channelId: channelOf(ctx), conversationId: ctx.activity.conversation?.id ?? '' };
}

/** First middleware of an adapter whose channel ids come from outside: every key gets `${ns}:`. */
export function channelNamespace(ns: string): Middleware {
  return {
    async onTurn(ctx, next) {
      ctx.turnState.set(CHANNEL_KEY, `${ns}:${ctx.activity.channelId ?? ''}`);
      await next();
    },
  };
}

/** Conversation state keyed by our channel key (botbuilder's own key uses the raw channel id). */
export class KeyedConversationState extends ConversationState {
  constructor(storage: Storage) {
    super(storage);
  }

  override getStorageKey(ctx: TurnContext): string | undefined {
    const id = ctx.activity.conversation?.id;
    if (!id) throw new Error('missing activity.conversation.id');
    return `${channelOf(ctx)}/conversations/${id}/`;
  }
}

/** User state keyed by our channel key. */
export class KeyedUserState extends UserState {
  constructor(storage: Storage) {
    super(storage);
  }

  override getStorageKey(ctx: TurnContext): string | undefined {
    const id = ctx.activity.from?.id;
    if (!id) throw new Error('missing activity.from.id');
    return `${channelOf(ctx)}/users/${id}/`;
  }
}
