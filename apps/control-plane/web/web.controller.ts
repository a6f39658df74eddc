import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { MlopsError, NotFoundError } from '../../../libs/common/errors';
import { assetFile, locateWebAssets } from './web-assets';

/** The page itself may only load its own files; data arrives from the JSON API as text, never as markup. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The reviewer page: one HTML shell for every `/ui` route (the client module reads the path), its CSS and
 * its client modules. Public (no `@Roles`): the page holds no data, its API calls carry the user's token.
 */
@ApiExcludeController()
@Controller('ui')
export class WebController {
  private readonly assets = locateWebAssets();

  @Get()
  runs(@Res() res: Response): void {
    this.page(res);
  }

  @Get('runs/:id')
  run(@Res() res: Response): void {
    this.page(res);
  }

  @Get('assets/:file')
  asset(@Param('file') name: string, @Res() res: Response): void {
    const asset = assetFile(this.assets, name);
    if (!asset || !existsSync(asset.file)) {
      if (asset && name.endsWith('.mjs')) {
        throw new MlopsError('UNAVAILABLE', `Reviewer page client ${name} is not built: run npm run build`);
      }
      throw new NotFoundError(`No asset ${name}`);
    }
    res.set({ 'Content-Type': asset.type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.sendFile(asset.file);
  }

  private page(res: Response): void {
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.sendFile(path.join(this.assets.staticDir, 'index.html'));
  }
}
