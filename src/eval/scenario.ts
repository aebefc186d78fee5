/** The scenario file format of DESIGN §5, validated with zod. */
import { z } from 'zod';

const Expect = z
  .object({
    intent: z.string().optional(),
    slots: z.object({ orderNo: z.string().optional(), paymentTime: z.string().optional(), productType: z.string().optional() }).optional(),
    cause: z.string().optional(),
    step: z.string().optional(),
    handoff: z.boolean().optional(),
    lookup: z.object({ found: z.boolean().optional(), status: z.string().optional() }).optional(),
    replyIncludes: z.array(z.string()).optional(),
    replyExcludes: z.array(z.string()).optional(),
  })
  .default({});

export const Scenario = z.object({
  name: z.string(),
  now: z.string(),
  channel: z.string().default('test'),
  orders: z.array(z.record(z.string(), z.unknown())).default([]),
  buyer: z.object({ id: z.string(), contact: z.string().optional() }).optional(),
  turns: z.array(z.object({ user: z.string(), expect: Expect })).min(1),
});
export type Scenario = z.infer<typeof Scenario>;
export type Expect = z.infer<typeof Expect>;
