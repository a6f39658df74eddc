import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { MlopsError } from '../../../libs/common/errors';
import type { Identity, Role } from '../../../workflows/contracts';
import { TokenStore } from '../common/tokens';

/** Metadata key of `@Roles` (read by the guard, and by the role-matrix test to list every route's roles). */
export const ROLES_KEY = 'mlops:roles';

/** Declares which roles may call a route. Every controller route must declare it, unless it is public. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export interface AuthenticatedRequest extends Request {
  identity: Identity;
}

/**
 * Bearer-token authentication and per-route role check. A route without `@Roles` is public (health, the
 * reviewer page's static files): test/integration/role-matrix.spec.ts fails for any such route it does not
 * list as public.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TokenStore) private readonly tokens: TokenStore,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (roles === undefined) return true; // public: docs, health
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new MlopsError('UNAUTHENTICATED', 'Missing bearer token: send "Authorization: Bearer <token>"');
    const identity = this.tokens.identify(match[1]);
    if (!identity) throw new MlopsError('UNAUTHENTICATED', 'Unknown or revoked token');
    if (!roles.includes(identity.role)) {
      throw new MlopsError(
        'PERMISSION_DENIED',
        `${identity.subject} has role ${identity.role}; this route needs one of: ${roles.join(', ')}`,
      );
    }
    req.identity = identity;
    return true;
  }
}
