import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Client } from '@temporalio/client';
import { z } from 'zod';
import { InvalidArgumentError, PermissionDeniedError } from '../../../libs/common/errors';
import type { AppConfig } from '../../../libs/config/config';
import { ModelRegistry } from '../../../libs/registry/model-registry';
import { RolloutSchema } from '../../../libs/spec/pipeline-spec';
import { canaryRolloutWorkflow } from '../../../workflows/canary-rollout.workflow';
import {
  ROLLOUT_WORKFLOW_TYPE,
  type RolloutControl,
  rolloutControlUpdate,
  rolloutStatusQuery,
  rolloutWorkflowId,
} from '../../../workflows/contracts';
import { APP_CONFIG } from '../common/providers';
import type { Logger } from '../../../libs/observability/logger';
import { APP_LOGGER } from '../observability/observability.tokens';
import { type AuthenticatedRequest, Roles } from '../auth/auth.guard';
import { ZodPipe } from '../common/zod.pipe';

const CanaryBody = z
  .object({ version: z.string().min(1), rollout: RolloutSchema.prefault({}), reason: z.string().trim().min(1) })
  .strict();
const ActionBody = z.object({ reason: z.string().trim().min(1, 'a reason is required') }).strict();
const Action = z.enum(['promote', 'rollback', 'pause', 'resume']);

/**
 * Deployments: the canary beside the champion and the rollout workflow that owns it. Starting a rollout
 * alone (outside a pipeline run) needs a version a reviewer approved; people act on a running rollout
 * through its `rolloutControl` update, whose validator checks the role for each action.
 */
@ApiTags('deployments')
@ApiBearerAuth()
@Controller('models/:name/deployment')
export class DeploymentsController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({
    summary: 'The deployment record (champion, canary, share, shadow, history) and the live rollout status',
  })
  async get(@Param('name') name: string) {
    const [deployment, champion] = await Promise.all([
      this.registry.deployments.get(name),
      this.registry.getAlias(name, 'champion'),
    ]);
    const workflowId = deployment?.rollout?.workflowId;
    const rollout = workflowId
      ? await this.temporal.workflow
          .getHandle(workflowId)
          .query(rolloutStatusQuery)
          .catch(() => undefined)
      : undefined;
    return { model: name, champion: champion?.version ?? null, deployment, rollout: rollout ?? null };
  }

  @Post('canary')
  @HttpCode(201)
  @Roles('engineer', 'admin')
  @ApiOperation({
    summary: 'Start a canary rollout of an approved version (steps, criteria: the pipeline spec’s deployment.canary)',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['version', 'reason'],
      properties: {
        version: { type: 'string', example: 'v20261125011500-1a2b3c4d' },
        reason: { type: 'string', example: 'retry the rollout after the feature store fix' },
        rollout: { type: 'object', example: { steps: [0.05, 0.25, 0.5], minRequests: 500 } },
      },
    },
  })
  async canary(
    @Req() req: AuthenticatedRequest,
    @Param('name') name: string,
    @Body(new ZodPipe(CanaryBody)) body: z.infer<typeof CanaryBody>,
  ) {
    await this.registry.getManifest(name, body.version);
    const approval = (await this.registry.getDecision(name, body.version, 'approval')) as { decision?: string } | null;
    if (approval?.decision !== 'approve' && req.identity.role !== 'admin') {
      throw new PermissionDeniedError(
        `${name}/${body.version} has no reviewer approval: only an admin can put an unapproved version on live traffic`,
      );
    }
    const workflowId = rolloutWorkflowId(name, body.version);
    await this.temporal.workflow.start(canaryRolloutWorkflow, {
      workflowId,
      taskQueue: this.config.taskQueues.cpu,
      args: [{ model: name, version: body.version, rollout: body.rollout, requestedBy: req.identity }],
    });
    this.logger.info({ workflowId, model: name, version: body.version }, 'canary rollout started');
    return { workflowId, workflowType: ROLLOUT_WORKFLOW_TYPE };
  }

  @Post(':action')
  @HttpCode(200)
  @Roles('engineer', 'reviewer', 'admin')
  @ApiParam({ name: 'action', enum: Action.options })
  @ApiOperation({
    summary: 'Promote (reviewer, admin), roll back, pause or resume (engineer, reviewer, admin) the running rollout',
  })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  async act(
    @Req() req: AuthenticatedRequest,
    @Param('name') name: string,
    @Param('action', new ZodPipe(Action)) action: RolloutControl['action'],
    @Body(new ZodPipe(ActionBody)) body: z.infer<typeof ActionBody>,
  ) {
    const deployment = await this.registry.deployments.get(name);
    const rollout = deployment?.rollout;
    if (!rollout || rollout.state === 'promoted' || rollout.state === 'rolled-back') {
      throw new InvalidArgumentError(`${name} has no rollout in progress`);
    }
    this.logger.info({ workflowId: rollout.workflowId, model: name, action }, 'rollout control update sent');
    return this.temporal.workflow
      .getHandle(rollout.workflowId)
      .executeUpdate(rolloutControlUpdate, { args: [{ action, actor: req.identity, reason: body.reason }] });
  }
}
