import { readFileSync } from 'node:fs';
import { socketModeManifest } from '../slack/socket-mode-manifest.js';

/**
 * Prints the Slack app manifest: `--socket-mode` for the Socket Mode variant (no URLs, nothing to
 * edit), otherwise slack/manifest.yml as it is (HTTP mode: replace YOUR-HOST).
 */
const manifest = readFileSync(new URL('../../slack/manifest.yml', import.meta.url), 'utf8');
process.stdout.write(process.argv.includes('--socket-mode') ? socketModeManifest(manifest) : manifest);
