import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { Response } from 'express';
import { type ErrorCode, MlopsError } from '../../../libs/common/errors';
import { type Logger, currentRequestId } from '../../../libs/observability/logger';
import { APP_LOGGER } from '../observability/observability.tokens';

const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_SPEC: 400,
  INVALID_DATA: 422,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  INTEGRITY_ERROR: 500,
  UNAVAILABLE: 503,
};

/**
 * The one place where domain and Temporal errors become HTTP responses: `{ statusCode, code, message, details?,
 * requestId }`; the request id is the one in the response's `X-Request-Id` and on the request's log lines.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(APP_LOGGER) private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toResponse(err);
    if (status >= 500) this.logger.error({ err, status }, 'request failed');
    const header = res.getHeader('x-request-id');
    const requestId = currentRequestId() ?? (typeof header === 'string' ? header : undefined);
    res.status(status).json({ statusCode: status, ...body, requestId });
  }

  private toResponse(err: unknown): { status: number; body: Record<string, unknown> } {
    if (err instanceof MlopsError) {
      return { status: STATUS[err.code], body: { code: err.code, message: err.message, details: err.details } };
    }
    if (err instanceof WorkflowNotFoundError) return { status: 404, body: { code: 'NOT_FOUND', message: err.message } };
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return { status: 409, body: { code: 'ALREADY_EXISTS', message: err.message } };
    if (err instanceof WorkflowUpdateFailedError) {
      // The workflow's validator refused the decision: its message says why (self-approval, role, state).
      const reason = err.cause?.message ?? err.message;
      const status = /cannot review it|only a reviewer|only an admin|needs one of/.test(reason) ? 403 : 409;
      return { status, body: { code: status === 403 ? 'PERMISSION_DENIED' : 'CONFLICT', message: reason } };
    }
    if (err instanceof HttpException) {
      const r = err.getResponse();
      const message = typeof r === 'string' ? r : ((r as { message?: unknown }).message ?? err.message);
      return { status: err.getStatus(), body: { code: 'HTTP_ERROR', message } };
    }
    return { status: 500, body: { code: 'INTERNAL', message: 'Internal error (see control-plane logs)' } };
  }
}
