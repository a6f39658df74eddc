import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Identity } from '../../../workflows/contracts';
import { type AuthenticatedRequest, Roles } from '../auth/auth.guard';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  @Get()
  @Roles('engineer', 'reviewer', 'service', 'admin')
  @ApiOperation({ summary: 'Who the bearer token belongs to: {subject, role} (the reviewer page uses it)' })
  me(@Req() req: AuthenticatedRequest): Identity {
    return { subject: req.identity.subject, role: req.identity.role };
  }
}
