import { sha256 } from '../../../libs/common/hash';
import { ROLES, type Identity, type Role } from '../../../workflows/contracts';

/** One entry of the tokens file: the token itself is never stored, only its sha256. */
export interface TokenEntry {
  subject: string;
  role: Role;
  tokenSha256: string;
}

/** Resolves a bearer token to an identity; `undefined` when unknown. */
export class TokenStore {
  private readonly byHash: Map<string, Identity>;

  constructor(entries: TokenEntry[]) {
    for (const e of entries) {
      if (!ROLES.includes(e.role))
        throw new Error(`Tokens file: ${e.subject} has unknown role "${e.role}" (one of ${ROLES.join(', ')})`);
    }
    this.byHash = new Map(entries.map((e) => [e.tokenSha256, { subject: e.subject, role: e.role }]));
  }

  identify(token: string): Identity | undefined {
    return this.byHash.get(sha256(token));
  }
}
