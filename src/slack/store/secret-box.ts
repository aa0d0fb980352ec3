import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A stored secret that cannot be read back: another key, or altered text. Never carries the value. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts what the bot keeps of each workspace (its installation with the bot and refresh tokens, its
 * desk's key) with AES-256-GCM. The key is derived with HKDF-SHA256 from SLACK_STATE_SECRET, so there
 * is no extra variable to lose; changing that secret makes the stored installations unreadable (each
 * workspace then installs again). Every value is bound to what it is and whose (`context`, the
 * additional data), so a row's ciphertext copied into another row does not decrypt there.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(stateSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', stateSecret, 'paper-desk/slack', 'stored-secrets/aes-256-gcm/v1', 32));
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const [version, payload] = sealed.split('.', 2);
    if (version !== VERSION || !payload) throw new SecretBoxError(`a stored Slack secret (${context}) is not in a known format`);
    const raw = Buffer.from(payload, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`a stored Slack secret (${context}) cannot be decrypted: was SLACK_STATE_SECRET changed? The workspace must install the app again`);
    }
  }
}
