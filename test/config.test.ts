import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { ConfigError, ConfigSchema, loadConfig } from '../src/config.js';

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({}, '/srv/bot');
    expect(c).toMatchObject({ port: 3978, timeZone: 'Asia/Shanghai', databaseFile: '/srv/bot/data/bot.sqlite', demoSeed: true });
    expect(c.policy.normalWaitMin.game_card).toBe(15);
    expect(c.policy.supplierSlaMin.phone_topup).toBe(120);
  });

  it('.env.example mirrors every setting and its values are the defaults', () => {
    const text = fs.readFileSync('.env.example', 'utf8');
    const env = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(env).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
    expect(loadConfig(env, '/srv/bot')).toEqual(loadConfig({}, '/srv/bot'));
  });

  it('reads per-product windows', () => {
    const c = loadConfig({ POLICY_SUPPLIER_SLA_MIN: 'phone_topup=4320, game_card=20' });
    expect(c.policy.supplierSlaMin).toMatchObject({ phone_topup: 4320, game_card: 20, software_license: 60 });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ SHOP_TIMEZONE: 'Mars/Olympus' }, 'SHOP_TIMEZONE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ POLICY_NORMAL_WAIT_MIN: 'game_card=-1' }, 'POLICY_NORMAL_WAIT_MIN'],
    [{ DEMO_SEED: 'maybe' }, 'DEMO_SEED'],
  ])('a bad value stops start-up with one line naming the variable: %o', (env, name) => {
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(name);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});
