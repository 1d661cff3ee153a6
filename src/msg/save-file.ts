import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { safeFileName } from './file-name';
import { MsgInputError } from './input-error';

/**
 * Writes `data` as `name` inside `directory` and returns the full path. The name is re-sanitised and the result
 * checked to be inside the directory, so nothing DingTalk sends can steer the write elsewhere. Written to a
 * temporary file and renamed, so readers never see half a file.
 */
export async function saveFileAtomically(directory: string, name: string, data: Buffer): Promise<string> {
  const dir = resolve(directory);
  // safeFileName is idempotent, so a name from outputFileName() is written unchanged; basename(target) is msg.filename.
  const target = resolve(dir, safeFileName(basename(name)));
  if (!target.startsWith(dir + sep) || target === dir) {
    throw new MsgInputError('unsafeFileName', 'msg.filename', `Refusing to save "${name}": it would land outside ${dir}.`, { name, directory: dir });
  }
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.part`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return target;
}
