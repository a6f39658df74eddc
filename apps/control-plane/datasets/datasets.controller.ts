import { Controller, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { InvalidArgumentError } from '../../../libs/common/errors';
import type { ObjectStore } from '../../../libs/storage/object-store';
import { uploadDatasetStream } from '../../../libs/storage/upload-dataset';
import { type AuthenticatedRequest, Roles } from '../auth/auth.guard';
import { DATA_STORE } from '../common/providers';
import { ZodPipe } from '../common/zod.pipe';

const MAX_BYTES = 4 * 1024 ** 3;
const UploadQuery = z.object({
  transient: z
    .enum(['true', 'false'])
    .default('false')
    .describe('PII data: kept under incoming/ until the ingest that scrubs it'),
  name: z
    .string()
    .regex(
      /^[\w.-]+\.((csv|tsv|txt|dat)(\.gz)?|parquet)$/,
      'a file name ending in .csv, .tsv, .txt or .dat (optionally .gz), or .parquet',
    ),
});

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('datasets')
export class DatasetsController {
  constructor(@Inject(DATA_STORE) private readonly store: ObjectStore) {}

  @Post()
  @HttpCode(201)
  @Roles('engineer', 'admin')
  @ApiConsumes('text/csv', 'application/gzip', 'application/vnd.apache.parquet', 'application/octet-stream')
  @ApiQuery({ name: 'name', example: 'sessions.csv' })
  @ApiQuery({
    name: 'transient',
    required: false,
    description: 'true for data with PII: deleted once a run has ingested and scrubbed it',
  })
  @ApiOperation({
    summary: 'Upload a dataset (streamed); stored once under its sha256; returns the s3:// URI to launch a run on',
  })
  async upload(@Req() req: AuthenticatedRequest, @Query(new ZodPipe(UploadQuery)) query: z.infer<typeof UploadQuery>) {
    const dir = path.join(tmpdir(), 'mlops-uploads');
    await mkdir(dir, { recursive: true });
    const spool = path.join(dir, randomBytes(8).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    try {
      // Spool to disk while hashing: the object key is the content hash, known only at the end.
      await pipeline(
        req,
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            size += chunk.length;
            if (size > MAX_BYTES) return done(new InvalidArgumentError(`Dataset larger than ${MAX_BYTES} bytes`));
            hash.update(chunk);
            done(null, chunk);
          },
        }),
        createWriteStream(spool),
      );
      if (size === 0) throw new InvalidArgumentError('Empty upload: send the file as the request body');
      return await uploadDatasetStream(
        this.store,
        () => createReadStream(spool),
        hash.digest('hex'),
        size,
        query.name,
        {
          transient: query.transient === 'true',
        },
      );
    } finally {
      await rm(spool, { force: true });
    }
  }
}
