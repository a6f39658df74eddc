import type { InjectionToken } from '@nestjs/common';
import type { Logger } from '../../../libs/observability/logger';
import type { Tracing } from '../../../libs/observability/tracing';

/** The control plane's pino logger (structured lines: pass fields first, message second). */
export const APP_LOGGER: InjectionToken<Logger> = Symbol('AppLogger');
/** This process's tracing (`Tracing.off` unless configured). */
export const TRACING: InjectionToken<Tracing> = Symbol('Tracing');
