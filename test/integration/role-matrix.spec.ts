import { type INestApplication, RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { ROLES_KEY } from '../../apps/control-plane/auth/auth.guard';
import { ROLES, type Role } from '../../workflows/contracts';
import { startControlPlane } from '../support/control-plane';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';

/**
 * Routes anyone may call without a token (a trailing `*`: every route under that prefix). Every other
 * route must declare `@Roles`; adding one here is a security decision made in review, not a forgotten decorator.
 */
const PUBLIC_ROUTES = [
  'GET /health',
  'GET /docs', // OpenAPI: registered by SwaggerModule outside the controllers, so no guard runs on them
  'GET /docs-json',
  'GET /docs-yaml',
  'GET /docs/*', // Swagger UI's own files
  'GET /ui', // the reviewer page: static files only, its API calls carry the user's token
  'GET /ui/runs/:id',
  'GET /ui/assets/:file',
];

/** Fills every path parameter: nothing by this name exists, so allowed calls end in 400/404, never in work. */
const DUMMY = 'role-matrix-none';
const CALLERS = [...ROLES, 'none', 'bogus'] as const;
type Caller = (typeof CALLERS)[number];

interface Route {
  method: string;
  path: string;
  /** `undefined`: no `@Roles` (public, or a bug the matrix reports). */
  roles?: readonly Role[];
}
interface Cell {
  status: number;
  problem?: string;
}

/**
 * Every route × every role, enumerated from the app itself (controller metadata, plus the Express router
 * for routes registered outside controllers), so a new route is covered without touching this file.
 * Real: the Nest app with its guard and error filter, Temporal, MinIO, a tokens file. No worker, no runs.
 */
describe('role matrix', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    env = await createTestEnvironment('roles');
    const started = await startControlPlane(env, Object.fromEntries(ROLES.map((role) => [`matrix-${role}`, role])));
    app = started.app;
    tokens = Object.fromEntries(ROLES.map((role) => [role, started.tokens[`matrix-${role}`]])) as Record<Role, string>;
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  it('finds the routes it should, and no public route is left unlisted', () => {
    const routes = allRoutes(app);
    const keys = routes.map(key);
    expect(keys).toEqual(
      expect.arrayContaining(['POST /runs', 'GET /models/:name/champion', 'GET /me', 'GET /metrics']),
    );
    // A stale entry hides nothing today, but would let a future route with that name skip its roles.
    expect(PUBLIC_ROUTES.filter((p) => !routes.some((r) => isPublic(r) && matches(p, r)))).toEqual([]);
    const undeclared = routes.filter((r) => r.roles === undefined && !isPublic(r));
    if (undeclared.length > 0) {
      throw new Error(
        `Routes without @Roles that are not listed as public:\n  ${undeclared.map(key).join('\n  ')}\n\n${table(routes)}`,
      );
    }
    expect(routes.filter((r) => r.roles !== undefined && isPublic(r)).map(key)).toEqual([]);
  });

  it('lets each declared role through, refuses every other role with 403 and no token with 401', async () => {
    const routes = allRoutes(app);
    const results = new Map<string, Map<Caller, Cell>>();
    const jobs = routes.flatMap((route) => CALLERS.map((caller) => ({ route, caller })));
    await inPool(jobs, 8, async ({ route, caller }) => {
      const cell = await probe(app, route, caller, caller in tokens ? tokens[caller as Role] : undefined);
      const row = results.get(key(route)) ?? new Map<Caller, Cell>();
      results.set(key(route), row.set(caller, cell));
    });
    const problems = routes.flatMap((r) =>
      CALLERS.flatMap((c) => {
        const problem = results.get(key(r))?.get(c)?.problem;
        return problem ? [`${key(r)} as ${c}: ${problem}`] : [];
      }),
    );
    if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${table(routes, results)}`);
  });
});

const key = (r: Route) => `${r.method} ${r.path}`;
const matches = (entry: string, r: Route) =>
  entry.endsWith('*') ? key(r).startsWith(entry.slice(0, -1)) : entry === key(r);
const isPublic = (r: Route) => PUBLIC_ROUTES.some((entry) => matches(entry, r));

/** One call and its verdict: what the route's declared roles say this caller must get. */
async function probe(app: INestApplication, route: Route, caller: Caller, token: string | undefined): Promise<Cell> {
  const url = route.path.replace(/:\w+/g, DUMMY);
  let req = request(app.getHttpServer())[route.method.toLowerCase() as 'get'](url);
  if (caller === 'bogus') req = req.set('Authorization', 'Bearer not-a-real-token');
  else if (token) req = req.set('Authorization', `Bearer ${token}`);
  if (['POST', 'PUT', 'PATCH'].includes(route.method)) req = req.send({});
  const res = await req;
  const body = (res.body as { message?: unknown } | undefined)?.message;
  const message = (typeof body === 'string' ? body : (JSON.stringify(body) ?? res.text ?? '')).slice(0, 200);
  const cell: Cell = { status: res.status };
  const allowed = isPublic(route) || (token !== undefined && route.roles?.includes(caller as Role) === true);
  if (allowed) {
    if (res.status === 401 || res.status === 403) cell.problem = `allowed caller got ${res.status}: ${message}`;
  } else if (caller === 'none' || caller === 'bogus') {
    const expected = caller === 'none' ? /Missing bearer token/ : /Unknown or revoked token/;
    if (res.status !== 401 || !expected.test(message)) cell.problem = `expected 401 ${expected}, got ${res.status}`;
  } else if (res.status !== 403 || !message.includes(`has role ${caller};`)) {
    cell.problem = `expected 403 naming role ${caller}, got ${res.status}: ${message}`;
  }
  return cell;
}

/** Controller routes with their `@Roles` (resolved as the guard does), plus any other route Express knows. */
function allRoutes(app: INestApplication): Route[] {
  const reflector = new Reflector();
  const scanner = new MetadataScanner();
  const routes = new Map<string, Route>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const proto = controller.prototype as Record<string, (...args: unknown[]) => unknown>;
      for (const name of scanner.getAllMethodNames(proto)) {
        const handler = proto[name];
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const roles = reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [handler, controller]);
        for (const prefix of [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat()) {
          for (const p of [paths].flat()) {
            const route = { method, path: joinPath(prefix, p), roles };
            routes.set(key(route), route);
          }
        }
      }
    }
  }
  const express = app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) {
      const route = { method: method.toUpperCase(), path: layer.route.path };
      if (!routes.has(key(route))) routes.set(key(route), route);
    }
  }
  return [...routes.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

function joinPath(...parts: string[]): string {
  return `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;
}

/** The matrix as text: each route's declared roles and, per caller, the status it got ('!' marks a problem). */
function table(routes: Route[], results?: Map<string, Map<Caller, Cell>>): string {
  const rows = routes.map((r) => [
    r.method,
    r.path,
    isPublic(r) ? '(public)' : (r.roles?.join(', ') ?? '(none!)'),
    ...(results
      ? CALLERS.map((c) => {
          const cell = results.get(key(r))?.get(c);
          return cell ? `${cell.status}${cell.problem ? '!' : ''}` : '-';
        })
      : []),
  ]);
  const header = ['method', 'route', 'roles', ...(results ? CALLERS : [])];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows].map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

async function inPool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}
