/**
 * /api/messages for Azure Bot Service, Teams and the Bot Framework Emulator, through botbuilder's
 * CloudAdapter. Credentials come from config; without an app id it runs unauthenticated (local use).
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Middleware, type TurnContext } from 'botbuilder';
import express from 'express';
import type { App } from '../../app.js';

/** Traces are for developers: only the Emulator may see them, never a buyer's channel. */
export const dropTracesMiddleware: Middleware = {
  async onTurn(ctx: TurnContext, next: () => Promise<void>) {
    if (ctx.activity.channelId !== 'emulator') {
      ctx.onSendActivities(async (_c, activities, nextSend) => {
        const kept = activities.filter((a) => a.type !== 'trace');
        if (kept.length === activities.length) return nextSend();
        activities.splice(0, activities.length, ...kept);
        return activities.length ? nextSend() : [];
      });
    }
    await next();
  },
};

export function botFrameworkRouter(app: App): express.Router {
  const { botFramework: bf } = app.config;
  const auth = new ConfigurationBotFrameworkAuthentication(
    bf.appId ? { MicrosoftAppId: bf.appId, MicrosoftAppPassword: bf.appPassword, MicrosoftAppTenantId: bf.tenantId, MicrosoftAppType: bf.appType } : {},
  );
  const adapter = app.wire(new CloudAdapter(auth));
  adapter.use(dropTracesMiddleware);
  // Agent replies and hand-backs reach Teams / Emulator / Azure channels as proactive messages.
  for (const channelId of ['emulator', 'msteams', 'webchat', 'slack', 'telegram']) {
    app.relay.register(channelId, {
      continueConversation: (ref, logic) => adapter.continueConversationAsync(bf.appId ?? '', ref, logic),
    });
  }
  const router = express.Router();
  router.post('/api/messages', express.json({ limit: '256kb' }), async (req, res) => {
    // A shop buyer identity only ever comes from our own token-minting channels: never from here.
    const data = req.body?.channelData;
    if (data && typeof data === 'object') {
      delete data.buyer;
      delete data.clientKey;
    }
    await adapter.process(req, res, (ctx) => app.logic(ctx));
  });
  return router;
}
