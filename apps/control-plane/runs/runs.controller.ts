import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { type AuthenticatedRequest, Roles } from '../auth/auth.guard';
import { ZodPipe } from '../common/zod.pipe';
import { RunsService } from './runs.service';

const LaunchBody = z.object({
  spec: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  datasetUri: z
    .string()
    .regex(/^s3:\/\/[^/]+\/.+/, 'an s3://bucket/key URI')
    .optional(),
  rerun: z.boolean().optional(),
});
const DecisionBody = z.object({
  decision: z.enum(['approve', 'reject']),
  comment: z.string().trim().min(1, 'a comment is required'),
});
const OverrideBody = z.object({ reason: z.string().trim().min(20, 'a written reason of at least 20 characters') });
const ListQuery = z.object({
  model: z.string().optional(),
  stage: z.string().optional(),
  status: z.string().optional(),
  submitter: z.string().optional(),
  awaiting: z.enum(['me']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

@ApiTags('runs')
@ApiBearerAuth()
@Controller('runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Post()
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Launch a training pipeline run from a spec (idempotent: same spec + dataset → same run)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['spec'],
      properties: {
        spec: { oneOf: [{ type: 'string', description: 'Pipeline spec YAML' }, { type: 'object' }] },
        datasetUri: { type: 'string', example: 's3://mlops-data/datasets/<sha256>/source.csv' },
        rerun: { type: 'boolean', description: 'Start a new run even if this spec already ran on this dataset' },
      },
    },
  })
  launch(@Req() req: AuthenticatedRequest, @Body(new ZodPipe(LaunchBody)) body: z.infer<typeof LaunchBody>) {
    return this.runs.launch(req.identity, body);
  }

  @Get()
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'List runs from Temporal visibility, filtered by search attributes' })
  @ApiQuery({ name: 'model', required: false })
  @ApiQuery({ name: 'stage', required: false, example: 'approval' })
  @ApiQuery({
    name: 'status',
    required: false,
    example: 'awaiting-approval',
    description:
      'The run status (running, awaiting-approval, awaiting-gate-override, canary, promoted, rolled-back, ' +
      'rejected-by-gate, rejected, expired), or how Temporal closed it (cancelled, terminated, failed, timed_out)',
  })
  @ApiQuery({ name: 'submitter', required: false })
  @ApiQuery({
    name: 'awaiting',
    required: false,
    enum: ['me'],
    description: 'me: runs waiting for a decision the caller may make (a reviewer’s queue: never their own runs)',
  })
  @ApiQuery({ name: 'limit', required: false, example: 50 })
  list(@Req() req: AuthenticatedRequest, @Query(new ZodPipe(ListQuery)) query: z.infer<typeof ListQuery>) {
    const { awaiting, ...filter } = query;
    if (awaiting !== 'me') return this.runs.list(filter);
    if (req.identity.role !== 'reviewer') return [];
    return this.runs.list({ ...filter, status: 'awaiting-approval', notSubmitter: req.identity.subject });
  }

  @Get(':id')
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'Run detail: stage, live training progress, metrics, gates, version, approval' })
  get(@Param('id') id: string) {
    return this.runs.get(id);
  }

  @Post(':id/approval')
  @HttpCode(200)
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'Approve or reject a run awaiting approval (reviewers only; never the submitter)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['decision', 'comment'],
      properties: {
        decision: { enum: ['approve', 'reject'] },
        comment: { type: 'string', example: 'Gates and slices reviewed' },
      },
    },
  })
  decide(
    @Req() req: AuthenticatedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(DecisionBody)) body: z.infer<typeof DecisionBody>,
  ) {
    return this.runs.decide(req.identity, id, body);
  }

  @Post(':id/gate-override')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary:
      'Let a run past its failed gates (admins only, while the run waits for it), with a written reason kept in the manifest',
  })
  @ApiBody({
    schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 20 } } },
  })
  overrideGates(
    @Req() req: AuthenticatedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(OverrideBody)) body: z.infer<typeof OverrideBody>,
  ) {
    return this.runs.overrideGates(req.identity, id, body);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @Roles('engineer', 'admin')
  @ApiOperation({ summary: 'Request cancellation of a run' })
  async cancel(@Param('id') id: string) {
    await this.runs.cancel(id);
    return { workflowId: id, cancellation: 'requested' };
  }
}
