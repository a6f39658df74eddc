import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { type AuthenticatedRequest, Roles } from '../auth/auth.guard';
import { ZodPipe } from '../common/zod.pipe';
import { SchedulesService } from './schedules.service';

const ScheduleId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes (at most 63)');
const CreateBody = z
  .object({
    id: ScheduleId,
    spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    datasetUri: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'an s3://bucket/key URI'),
    cron: z.string().trim().min(1, 'a cron expression, e.g. "0 3 * * 1"').max(200),
    timezone: z.string().min(1).optional(),
    paused: z.boolean().optional(),
    note: z.string().max(500).optional(),
  })
  .strict();
const ReasonBody = z.object({ reason: z.string().trim().min(1, 'a reason is required') }).strict();
const BackfillBody = z
  .object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .strict()
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: 'must be after from', path: ['to'] });
const ListQuery = z.object({
  model: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * Retraining on a cron: a Temporal Schedule per entry, whose action starts the training pipeline with the
 * schedule's spec and dataset. Runs it starts are ordinary runs (`sched-<id>-<time>`), listed by `GET /runs`.
 */
@ApiTags('schedules')
@ApiBearerAuth()
@Controller('schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Post()
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Create a retraining schedule (409 if the id exists; the cron is checked by Temporal)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['id', 'spec', 'datasetUri', 'cron'],
      properties: {
        id: { type: 'string', example: 'shopper-weekly' },
        spec: { oneOf: [{ type: 'string', description: 'Pipeline spec YAML' }, { type: 'object' }] },
        datasetUri: { type: 'string', example: 's3://mlops-data/datasets/<sha256>/source.csv' },
        cron: { type: 'string', example: '0 3 * * 1' },
        timezone: { type: 'string', example: 'Europe/Paris', description: 'IANA name (default UTC)' },
        paused: { type: 'boolean' },
        note: { type: 'string' },
      },
    },
  })
  create(@Req() req: AuthenticatedRequest, @Body(new ZodPipe(CreateBody)) body: z.infer<typeof CreateBody>) {
    return this.schedules.create(req.identity, body);
  }

  @Get()
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'Retraining schedules: model, cron, paused, next action times, recent runs' })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({ name: 'limit', required: false, example: 100 })
  list(@Query(new ZodPipe(ListQuery)) query: z.infer<typeof ListQuery>) {
    return this.schedules.list(query);
  }

  @Get(':id')
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'One schedule' })
  @ApiParam({ name: 'id' })
  get(@Param('id', new ZodPipe(ScheduleId)) id: string) {
    return this.schedules.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Delete a schedule (runs it started go on)' })
  async delete(@Param('id', new ZodPipe(ScheduleId)) id: string) {
    await this.schedules.delete(id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Pause a schedule, with a reason kept as its note' })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  pause(
    @Param('id', new ZodPipe(ScheduleId)) id: string,
    @Body(new ZodPipe(ReasonBody)) body: z.infer<typeof ReasonBody>,
  ) {
    return this.schedules.setPaused(id, true, body.reason);
  }

  @Post(':id/unpause')
  @HttpCode(200)
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Resume a paused schedule' })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  unpause(
    @Param('id', new ZodPipe(ScheduleId)) id: string,
    @Body(new ZodPipe(ReasonBody)) body: z.infer<typeof ReasonBody>,
  ) {
    return this.schedules.setPaused(id, false, body.reason);
  }

  @Post(':id/trigger')
  @HttpCode(202)
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Start a run now' })
  async trigger(@Param('id', new ZodPipe(ScheduleId)) id: string) {
    await this.schedules.trigger(id);
    return { id, triggered: true };
  }

  @Post(':id/backfill')
  @HttpCode(202)
  @Roles('engineer', 'admin')
  @ApiOperation({
    summary:
      'Start, now, a run for each cron time in [from, to) (runs may overlap); each trains on the schedule’s dataset',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['from', 'to'],
      properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } },
    },
  })
  async backfill(
    @Param('id', new ZodPipe(ScheduleId)) id: string,
    @Body(new ZodPipe(BackfillBody)) body: z.infer<typeof BackfillBody>,
  ) {
    await this.schedules.backfill(id, { from: new Date(body.from), to: new Date(body.to) });
    return { id, from: body.from, to: body.to, backfill: 'requested' };
  }
}
