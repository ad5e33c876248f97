import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hostError, type HostError } from './contract';

/**
 * A data file dropped on the web-mode page: the browser cannot tell the server where the file is,
 * so the page sends its bytes (POST /upload?name=…) and they are copied into <workspace>/uploads/.
 * Streamed to a hidden temporary file and renamed when complete, so a cut connection leaves no half
 * file under the real name; an existing file is never overwritten (a free name is chosen).
 */
export const MAX_UPLOAD_BYTES = 8 * 1024 ** 3;
export const UPLOADS_FOLDER = 'uploads';

export interface Uploaded {
  path: string;
  bytes: number;
}

/** The file name as it will be stored, or why it cannot be: no folders, no hidden files, printable. */
export function uploadName(given: string): string | HostError {
  const name = given.normalize('NFC').trim();
  if (name === '' || name.length > 200) return hostError('E_BAD_NAME', 'the uploaded file needs a name of 1 to 200 characters');
  if (/[/\\]/.test(name) || name === '.' || name === '..') return hostError('E_BAD_NAME', `"${name}": a file name, without folders`);
  if (name.startsWith('.')) return hostError('E_BAD_NAME', `"${name}": hidden files (starting with ".") are not accepted`);
  // Control characters and the characters Windows forbids in names, so the workspace stays portable.
  if (/[\u0000-\u001f\u007f<>:"|?*]/.test(name)) return hostError('E_BAD_NAME', `"${name}": the name has characters a file name cannot have`);
  return name;
}

/**
 * `name`, or `stem (2).ext`, `stem (3).ext`, … — the first free in `folder`, claimed by creating it
 * empty with 'wx' (fails if it exists), so two uploads of one name at once can never pick the same
 * path (a look-then-rename let both rename onto one name, and one file's contents were lost). The
 * caller renames its complete temp file over the claimed empty one.
 */
export async function freePath(folder: string, name: string): Promise<string> {
  const extension = name.endsWith('.gz') ? `${extname(name.slice(0, -3))}.gz` : extname(name);
  const stem = name.slice(0, name.length - extension.length);
  for (let n = 1; ; n++) {
    const candidate = join(folder, n === 1 ? name : `${stem} (${n})${extension}`);
    try {
      await (await open(candidate, 'wx')).close();
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** `folder`: <workspace>/uploads, as the workspace guard resolved it. */
export async function receiveUpload(folder: string, givenName: string, body: Readable, declaredBytes: number | undefined, limit = MAX_UPLOAD_BYTES): Promise<Uploaded | HostError> {
  const name = uploadName(givenName);
  if (typeof name !== 'string') return name;
  if (declaredBytes !== undefined && declaredBytes > limit) return hostError('E_TOO_LARGE', `${name} is ${declaredBytes} bytes, over the ${limit} bytes an upload may take`);
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.${name}.${randomBytes(6).toString('hex')}.partial`);
  let bytes = 0;
  let claimed: string | undefined;
  try {
    await pipeline(
      body,
      async function* countAndLimit(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          if (bytes > limit) throw new UploadTooLarge();
          yield chunk;
        }
      },
      createWriteStream(temporary, { flags: 'wx' }),
    );
    claimed = await freePath(folder, name);
    await rename(temporary, claimed);
    return { path: claimed, bytes };
  } catch (error) {
    await rm(temporary, { force: true });
    // The empty file that claimed the name, when the rename over it failed.
    if (claimed !== undefined) await rm(claimed, { force: true }).catch(() => undefined);
    if (error instanceof UploadTooLarge) return hostError('E_TOO_LARGE', `${name} is over the ${limit} bytes an upload may take`);
    return hostError('E_IO', `${name}: the upload did not complete (${error instanceof Error ? error.message : String(error)})`, join(folder, name));
  }
}

class UploadTooLarge extends Error {}
