import { type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { InvalidArgumentError } from '../../../libs/common/errors';

/** Validates a request part with a zod schema; a 400 lists every problem with its path. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      const issues = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      throw new InvalidArgumentError(`Invalid request: ${issues.join('; ')}`, { issues });
    }
    return result.data;
  }
}
