import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RUN_EVENT_TYPES } from '../../../libs/events/run-events';
import { WebhookSubscriptions, withoutSecret } from '../../../libs/events/webhooks';
import { type AuthenticatedRequest, Roles } from '../auth/auth.guard';
import { ZodPipe } from '../common/zod.pipe';

const EVENT_NAMES = ['*', ...RUN_EVENT_TYPES] as const;
const SubscribeBody = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
    events: z
      .array(z.enum(EVENT_NAMES, { error: `an event type: one of ${EVENT_NAMES.join(', ')}` }))
      .min(1, 'at least one event type ("*" for all)'),
  })
  .strict();

/**
 * Webhook subscriptions: a POST per run event (`run.started`, `gate.failed`, `approval.*`, `run.*`,
 * `canary.*`) to the subscriber's URL, signed with HMAC-SHA256 under the subscription's secret (see
 * `libs/events/webhooks.ts` for the headers and `verifySignature`). The secret is returned once, at
 * creation; listings never show it. Delivery is at least once, in order per run, retried with backoff.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly subscriptions: WebhookSubscriptions) {}

  @Post()
  @HttpCode(201)
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Subscribe a URL to run events; the answer holds the signing secret, shown only this once' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['url', 'events'],
      properties: {
        url: { type: 'string', example: 'https://hooks.example.com/mlops' },
        events: { type: 'array', items: { type: 'string', enum: [...EVENT_NAMES] }, example: ['run.promoted'] },
      },
    },
  })
  subscribe(@Req() req: AuthenticatedRequest, @Body(new ZodPipe(SubscribeBody)) body: z.infer<typeof SubscribeBody>) {
    return this.subscriptions.add({ url: body.url, events: body.events, createdBy: req.identity.subject });
  }

  @Get()
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'Webhook subscriptions (without their secrets)' })
  async list() {
    return (await this.subscriptions.list()).map(withoutSecret);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('engineer', 'admin')
  @ApiParam({ name: 'id', example: 'wh_0123456789abcdef' })
  @ApiOperation({ summary: 'Remove a subscription: no further deliveries, retries of pending ones included' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.subscriptions.remove(id);
  }
}
