import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { NotFoundError } from '../../../libs/common/errors';
import { ModelRegistry } from '../../../libs/registry/model-registry';
import { ALIASES, type AliasName } from '../../../libs/registry/types';
import type { ObjectStore } from '../../../libs/storage/object-store';
import { Roles } from '../auth/auth.guard';
import { REGISTRY_STORE } from '../common/providers';
import { ZodPipe } from '../common/zod.pipe';
import { diffObjects } from '../../../libs/common/diff';

const AliasParam = z.enum(ALIASES);
const DiffQuery = z.object({ from: z.string().min(1), to: z.string().min(1) });
const Expiry = z.object({ expiresIn: z.coerce.number().int().min(60).max(86_400).default(900) });

@ApiTags('models')
@ApiBearerAuth()
@Controller('models')
export class ModelsController {
  constructor(
    private readonly registry: ModelRegistry,
    @Inject(REGISTRY_STORE) private readonly store: ObjectStore,
  ) {}

  @Get()
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'Registered models with their aliases' })
  async list() {
    const names = await this.registry.listModels();
    return Promise.all(
      names.map(async (name) => ({
        name,
        versions: (await this.registry.listVersions(name)).length,
        champion: (await this.registry.getAlias(name, 'champion'))?.version ?? null,
        candidate: (await this.registry.getAlias(name, 'candidate'))?.version ?? null,
      })),
    );
  }

  @Get(':name/versions')
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'Versions of a model (only versions whose manifest is written), newest first' })
  async versions(@Param('name') name: string) {
    const versions = await this.registry.listVersions(name);
    const aliases = await Promise.all(
      ALIASES.map(async (a) => [a, (await this.registry.getAlias(name, a))?.version] as const),
    );
    const rows = await Promise.all(
      versions.map(async (version) => {
        const { manifest } = await this.registry.getManifest(name, version);
        return {
          version,
          createdAt: manifest.createdAt,
          createdBy: manifest.createdBy.subject,
          metrics: manifest.metrics,
          aliases: aliases.filter(([, v]) => v === version).map(([a]) => a),
        };
      }),
    );
    return rows.reverse();
  }

  @Get(':name/versions/:version')
  @Roles('engineer', 'reviewer', 'admin')
  @ApiOperation({ summary: 'A version’s manifest (files with sha256, metrics, gates, lineage, model card)' })
  async version(@Param('name') name: string, @Param('version') version: string) {
    const { manifest, sha256 } = await this.registry.getManifest(name, version);
    return { manifest, manifestSha256: sha256, approval: await this.registry.getDecision(name, version, 'approval') };
  }

  @Get(':name/diff')
  @Roles('engineer', 'reviewer', 'admin')
  @ApiQuery({ name: 'from', description: 'a version' })
  @ApiQuery({ name: 'to', description: 'another version' })
  @ApiOperation({
    summary: 'What changed between two versions: metrics, gates, files, spec and lineage, field by field',
  })
  async diff(@Param('name') name: string, @Query(new ZodPipe(DiffQuery)) q: z.infer<typeof DiffQuery>) {
    const [a, b] = await Promise.all([this.registry.getManifest(name, q.from), this.registry.getManifest(name, q.to)]);
    return { model: name, from: q.from, to: q.to, changes: diffObjects(a.manifest, b.manifest) };
  }

  @Get(':name/aliases/:alias')
  @Roles('engineer', 'reviewer', 'admin')
  @ApiParam({ name: 'alias', enum: ALIASES })
  @ApiOperation({ summary: 'An alias with its full history' })
  async alias(@Param('name') name: string, @Param('alias', new ZodPipe(AliasParam)) alias: AliasName) {
    return (await this.registry.getAlias(name, alias)) ?? { model: name, alias, version: null, history: [] };
  }

  @Get(':name/champion')
  @Roles('service', 'engineer', 'reviewer', 'admin')
  @ApiQuery({ name: 'expiresIn', required: false, description: 'URL lifetime in seconds (60-86400)', example: 900 })
  @ApiOperation({
    summary: 'The promoted model: manifest and time-limited download URLs; verify each sha256 before loading',
  })
  async champion(@Param('name') name: string, @Query(new ZodPipe(Expiry)) query: z.infer<typeof Expiry>) {
    const record = await this.registry.getAlias(name, 'champion');
    if (!record?.version) throw new NotFoundError(`Model ${name} has no champion yet`);
    const { manifest, sha256 } = await this.registry.getManifest(name, record.version);
    const files = Object.fromEntries(
      await Promise.all(
        Object.entries(manifest.files).map(async ([file, entry]) => [
          file,
          {
            ...entry,
            url: await this.store.presignGet(this.registry.fileKey(name, manifest.version, file), query.expiresIn),
          },
        ]),
      ),
    );
    return {
      model: name,
      version: manifest.version,
      manifestSha256: sha256,
      manifest,
      files,
      expiresIn: query.expiresIn,
    };
  }
}
