import { Controller, Get, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../auth/auth.guard';
import { HttpMetrics } from './http-metrics';

/**
 * Prometheus scrape endpoint. Not public: it names routes and traffic, so the scraper authenticates
 * like any client, with a `service` token (Prometheus: `authorization: { credentials_file: ... }`).
 */
@ApiTags('metrics')
@ApiBearerAuth()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: HttpMetrics) {}

  @Get()
  @Roles('service', 'admin')
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics: process, Node runtime, HTTP requests and latency by route' })
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
