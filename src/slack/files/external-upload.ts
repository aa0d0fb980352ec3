import type { webApi } from '@slack/bolt';

/** The upload of the bytes themselves; a picture of an equity curve is some tens of kilobytes. */
const UPLOAD_TIMEOUT_MS = 15_000;

export class UploadFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadFailedError';
  }
}

export interface FileToShare {
  readonly bytes: Buffer;
  readonly filename: string;
  readonly title: string;
  /** What a screen reader says of the picture. */
  readonly altText: string;
  readonly channel: string;
  /** The message the file comes with. */
  readonly comment?: string;
}

/**
 * Shares a file in a channel with Slack's external upload flow (the one Slack keeps; files.upload is
 * gone): files.getUploadURLExternal for an upload URL and a file id, the bytes POSTed to that URL,
 * then files.completeUploadExternal shares the file in the channel. Every call goes through the
 * WebClient's base URL (SLACK_API_URL), and the upload URL is the one Slack answered, so a stand-in
 * of Slack serves all three. Resolves with the file id.
 */
export async function shareFile(client: webApi.WebClient, file: FileToShare): Promise<string> {
  const target = await client.files.getUploadURLExternal({ filename: file.filename, length: file.bytes.length, alt_text: file.altText });
  if (!target.upload_url || !target.file_id) throw new UploadFailedError('Slack gave no upload URL for the file');
  let status: number;
  try {
    const res = await fetch(target.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(file.bytes),
      signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
    });
    status = res.status;
    await res.arrayBuffer();
  } catch (e) {
    throw new UploadFailedError(`the file could not be sent to Slack (${(e as Error).message})`);
  }
  if (status !== 200) throw new UploadFailedError(`Slack refused the file's bytes (HTTP ${status})`);
  await client.files.completeUploadExternal({
    files: [{ id: target.file_id, title: file.title }],
    channel_id: file.channel,
    ...(file.comment === undefined ? {} : { initial_comment: file.comment }),
  });
  return target.file_id;
}
